// C# bindings of splat4d.h for Unity (P/Invoke) and any .NET or Mono host. Structs mirror the
// header field by field; handles are SafeHandles, so the GC releases what Dispose did not; a
// failing call throws Splat4dException with the status and the library's message.
using System;
using System.Runtime.InteropServices;
using System.Text;

namespace Splat4d
{
    public enum Status : int
    {
        Ok = 0, NullPointer = 1, InvalidArgument = 2, Io = 3, InvalidAsset = 4, Gpu = 5, Internal = 6, NotReady = 7, Xr = 8,
        OutOfMemory = 9,
    }

    /// S4dFormat. The float ones hold linear light (HDR camera targets) and read back sRGB-encoded.
    public enum Format : uint { Rgba8Unorm = 0, Rgba8Srgb = 1, Bgra8Unorm = 2, Bgra8Srgb = 3, Rgba16Float = 4, B10g11r11Float = 5 }

    public enum SortOrder : uint { Shared = 0, PerEye = 1, Distance = 2 }

    public enum CaptureFormat : uint { ChromeTrace = 0, Csv = 1 }

    /// What Renderer.Record does with the host image's contents (S4dColorLoad).
    public enum ColorLoad : uint { Clear = 0, Keep = 1 }

    /// The clip-space depth range of a projection matrix (S4dClipDepth).
    public enum ClipDepth : uint { MinusOneToOne = 0, ZeroToOne = 1 }

    /// S4dHostDepth.flags: S4D_DEPTH_TEST, S4D_DEPTH_WRITE, S4D_DEPTH_REVERSED.
    [Flags]
    public enum DepthFlags : uint { Test = 1, Write = 2, Reversed = 4 }

    /// A host's depth image for Renderer.Record (S4dHostDepth): VkFormat, VkImage, its size and
    /// layers, VkImageLayouts before and after, flags and the projection's planes.
    [StructLayout(LayoutKind.Sequential)]
    public struct HostDepth
    {
        public uint StructSize, Format;
        public ulong Image;
        public uint Width, Height, LayerCount, InitialLayout, FinalLayout;
        public DepthFlags Flags;
        public float NearPlane, FarPlane;

        /// Sets NearPlane, FarPlane and DepthFlags.Reversed from a perspective projection (16
        /// floats, column-major, looking down -z).
        public void SetFromProjection(float[] projection, ClipDepth clip)
        {
            StructSize = (uint)Marshal.SizeOf(typeof(HostDepth));
            Native.Check(Native.s4d_depth_from_projection(projection, clip, ref this));
        }
    }

    /// What a renderer draws each frame (S4dFramePolicy): levels of detail finest..coarsest,
    /// FLoD's γ in pixels, a GPU frame budget in ms (0: none) that moves γ, and active sets.
    [Serializable]
    public struct Policy
    {
        public uint LodFinest, LodCoarsest;
        public float LodGamma;
        public double FrameBudgetMs;
        public bool ActiveSets;

        public static Policy Default
        {
            get { return new Policy { LodFinest = 0, LodCoarsest = uint.MaxValue, LodGamma = 1, ActiveSets = true }; }
        }

        internal Native.FramePolicy ToNative()
        {
            return new Native.FramePolicy
            {
                StructSize = (uint)Marshal.SizeOf(typeof(Native.FramePolicy)),
                LodFinest = LodFinest, LodCoarsest = LodCoarsest, LodGamma = LodGamma,
                FrameBudgetMs = FrameBudgetMs, DisableActiveSets = ActiveSets ? 0u : 1u,
            };
        }
    }

    public class Splat4dException : Exception
    {
        public readonly Status Status;
        public Splat4dException(Status status, string message) : base(message) { Status = status; }
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct View
    {
        // Eye position in the asset's space; orientation (x, y, z, w) rotates view space (x right,
        // y up, looking down -z) into it; tangents of the four half-angles (XrFovf).
        public float PositionX, PositionY, PositionZ;
        public float OrientationX, OrientationY, OrientationZ, OrientationW;
        public float TanLeft, TanRight, TanUp, TanDown;

        /// The view of a world-to-view matrix (rotation and translation, looking down -z) and a
        /// perspective projection (OpenGL's or Vulkan's clip space), both column-major.
        public static View FromMatrices(float[] worldToView, float[] projection)
        {
            if (worldToView == null || worldToView.Length != 16 || projection == null || projection.Length != 16)
                throw new ArgumentException("the view and projection are 16 floats each");
            View view;
            Native.Check(Native.s4d_view_from_matrices(worldToView, projection, out view));
            return view;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct AssetInfo
    {
        public uint StructSize, PrimitiveCount, SegmentCount, LevelCount, CameraCount, ShDegree;
        public double TimeStart, TimeEnd, FrameRate;
        public float BoundsMinX, BoundsMinY, BoundsMinZ, BoundsMaxX, BoundsMaxY, BoundsMaxZ;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct FrameStats
    {
        public uint StructSize, GpuTimesValid;
        public ulong FrameIndex;
        public double GpuSliceMs, GpuSortMs, GpuRasterMs, GpuResolveMs;
        public ulong CpuStartNs;
        public double CpuWaitMs, CpuPrepareMs, CpuRecordMs, CpuSubmitMs;
        public ulong GpuStartNs;
        public double TimeSeconds;
        public uint ViewCount, Segment, Active, Visible, DrawnLeft, DrawnRight;
        [MarshalAs(UnmanagedType.ByValArray, SizeConst = 8)] public uint[] LevelVisible;
        public uint PageUploads, PageMisses;
        public ulong ResidentBytes, GpuMemoryBytes, UploadBytes;
        public uint LodFinest, LodCoarsest;
        public float LodGamma;
        public uint Reserved2;

        public double GpuMs { get { return GpuSliceMs + GpuSortMs + GpuRasterMs + GpuResolveMs; } }
    }

    public static partial class Native
    {
        internal const string Lib = "splat4d";

        [StructLayout(LayoutKind.Sequential)]
        internal struct RuntimeDesc { public uint StructSize, Validation; public IntPtr DeviceName; }

        [StructLayout(LayoutKind.Sequential)]
        internal struct RendererDesc
        {
            public uint StructSize, Width, Height, ViewCount, Format, SortOrder;
            public float BackgroundR, BackgroundG, BackgroundB;
            public uint DisableStats;
            public ulong GpuMemoryBudgetBytes;
            public IntPtr Policy;
            public uint FramesInFlight, Reserved;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct FramePolicy
        {
            public uint StructSize, LodFinest, LodCoarsest;
            public float LodGamma;
            public double FrameBudgetMs;
            public uint DisableActiveSets, Reserved;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct FrameDesc { public uint StructSize, ViewCount; public IntPtr Views; public double TimeSeconds; }

        [StructLayout(LayoutKind.Sequential)]
        internal struct HostImage
        {
            public uint StructSize, FinalLayout;
            public ulong Image;
            public ColorLoad ColorLoad;
            public uint InitialLayout;
            public IntPtr Depth;
        }

        [DllImport(Lib)] internal static extern Status s4d_get_version(out uint major, out uint minor, out uint patch);
        [DllImport(Lib)] internal static extern Status s4d_last_error(out IntPtr message);
        [DllImport(Lib)] internal static extern Status s4d_runtime_create(ref RuntimeDesc desc, out RuntimeHandle runtime);
        [DllImport(Lib)] internal static extern Status s4d_runtime_destroy(IntPtr runtime);
        [DllImport(Lib)] internal static extern Status s4d_runtime_validation_message_count(RuntimeHandle runtime, out uint count);
        [DllImport(Lib)] internal static extern Status s4d_asset_open(byte[] utf8Path, out AssetHandle asset);
        [DllImport(Lib)] internal static extern Status s4d_asset_open_url(byte[] utf8Url, out AssetHandle asset);
        [DllImport(Lib)] internal static extern Status s4d_asset_open_memory(byte[] data, UIntPtr size, out AssetHandle asset);
        [DllImport(Lib)] internal static extern Status s4d_asset_get_info(AssetHandle asset, ref AssetInfo info);
        [DllImport(Lib)] internal static extern Status s4d_asset_destroy(IntPtr asset);
        [DllImport(Lib)] internal static extern Status s4d_renderer_set_policy(RendererHandle renderer, ref FramePolicy policy);
        [DllImport(Lib)] internal static extern Status s4d_renderer_create(RuntimeHandle runtime, AssetHandle asset, ref RendererDesc desc, out RendererHandle renderer);
        [DllImport(Lib)] internal static extern Status s4d_renderer_render(RendererHandle renderer, ref FrameDesc frame);
        [DllImport(Lib)] internal static extern Status s4d_renderer_record(RendererHandle renderer, IntPtr commandBuffer, ref FrameDesc frame, ref HostImage image);
        [DllImport(Lib)] internal static extern Status s4d_depth_from_projection(float[] projection, ClipDepth clip, ref HostDepth depth);
        [DllImport(Lib)] internal static extern Status s4d_view_from_matrices(float[] view, float[] projection, out View result);
        [DllImport(Lib)] internal static extern Status s4d_renderer_read_back(RendererHandle renderer, uint view, byte[] pixels, UIntPtr size);
        [DllImport(Lib)] internal static extern Status s4d_renderer_get_stats(RendererHandle renderer, ref FrameStats stats);
        [DllImport(Lib)] internal static extern Status s4d_renderer_destroy(IntPtr renderer);
        [DllImport(Lib)] internal static extern Status s4d_renderer_capture_start(RendererHandle renderer, uint capacity);
        [DllImport(Lib)] internal static extern Status s4d_renderer_capture_stop(RendererHandle renderer, out CaptureHandle capture);
        [DllImport(Lib)] internal static extern Status s4d_capture_get_frame_count(CaptureHandle capture, out uint frames, out ulong dropped);
        [DllImport(Lib)] internal static extern Status s4d_capture_get_frame(CaptureHandle capture, uint index, ref FrameStats stats);
        [DllImport(Lib)] internal static extern Status s4d_capture_export(CaptureHandle capture, CaptureFormat format, byte[] buffer, UIntPtr capacity, out UIntPtr length);
        [DllImport(Lib)] internal static extern Status s4d_capture_save(CaptureHandle capture, CaptureFormat format, byte[] utf8Path);
        [DllImport(Lib)] internal static extern Status s4d_capture_destroy(IntPtr capture);

        internal static string LastError()
        {
            IntPtr p;
            if (s4d_last_error(out p) != Status.Ok || p == IntPtr.Zero) return "";
            int n = 0;
            while (Marshal.ReadByte(p, n) != 0) n++;
            var bytes = new byte[n];
            Marshal.Copy(p, bytes, 0, n);
            return Encoding.UTF8.GetString(bytes);
        }

        internal static void Check(Status status)
        {
            if (status != Status.Ok) throw new Splat4dException(status, LastError());
        }

        internal static byte[] Utf8(string s)
        {
            var bytes = Encoding.UTF8.GetBytes(s);
            Array.Resize(ref bytes, bytes.Length + 1);
            return bytes;
        }
    }

    /// A splat4d object the GC releases if Dispose did not: NULL is invalid, and each kind says
    /// which s4d_*_destroy ends it. (P/Invoke makes them through their parameterless constructors.)
    public abstract class Splat4dHandle : SafeHandle
    {
        protected Splat4dHandle() : base(IntPtr.Zero, true) { }
        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }
    }

    public sealed class RuntimeHandle : Splat4dHandle
    {
        protected override bool ReleaseHandle() { return Native.s4d_runtime_destroy(handle) == Status.Ok; }
    }

    public sealed class AssetHandle : Splat4dHandle
    {
        protected override bool ReleaseHandle() { return Native.s4d_asset_destroy(handle) == Status.Ok; }
    }

    public sealed class RendererHandle : Splat4dHandle
    {
        protected override bool ReleaseHandle() { return Native.s4d_renderer_destroy(handle) == Status.Ok; }
    }

    public sealed class CaptureHandle : Splat4dHandle
    {
        protected override bool ReleaseHandle() { return Native.s4d_capture_destroy(handle) == Status.Ok; }
    }

    /// A standalone runtime: splat4d owns its Vulkan device.
    public sealed class Runtime : IDisposable
    {
        internal readonly RuntimeHandle Handle;

        public Runtime(bool validation = false)
        {
            var desc = new Native.RuntimeDesc
            {
                StructSize = (uint)Marshal.SizeOf(typeof(Native.RuntimeDesc)),
                Validation = validation ? 1u : 0u,
            };
            Native.Check(Native.s4d_runtime_create(ref desc, out Handle));
        }

        public static Version LibraryVersion
        {
            get
            {
                uint major, minor, patch;
                Native.Check(Native.s4d_get_version(out major, out minor, out patch));
                return new Version((int)major, (int)minor, (int)patch);
            }
        }

        public uint ValidationMessageCount
        {
            get { uint n; Native.Check(Native.s4d_runtime_validation_message_count(Handle, out n)); return n; }
        }

        public void Dispose() { Handle.Dispose(); }
    }

    public sealed class Asset : IDisposable
    {
        internal readonly AssetHandle Handle;

        public Asset(string path) { Native.Check(Native.s4d_asset_open(Native.Utf8(path), out Handle)); }

        public Asset(byte[] data) { Native.Check(Native.s4d_asset_open_memory(data, (UIntPtr)data.Length, out Handle)); }

        Asset(AssetHandle handle) { Handle = handle; }

        /// An asset on an http:// or https:// server that answers range requests (s4d_asset_open_url):
        /// verified as a file is, which fetches it whole once; renderers fetch what they read.
        public static Asset FromUrl(string url)
        {
            AssetHandle handle;
            Native.Check(Native.s4d_asset_open_url(Native.Utf8(url), out handle));
            return new Asset(handle);
        }

        public AssetInfo Info
        {
            get
            {
                var info = new AssetInfo { StructSize = (uint)Marshal.SizeOf(typeof(AssetInfo)) };
                Native.Check(Native.s4d_asset_get_info(Handle, ref info));
                return info;
            }
        }

        public void Dispose() { Handle.Dispose(); }
    }

    public sealed class Renderer : IDisposable
    {
        readonly RendererHandle handle;
        public readonly uint Width, Height, ViewCount;

        /// `gpuMemoryBudgetBytes` above 0 streams the asset from its file within that many bytes of GPU memory.
        public Renderer(Runtime runtime, Asset asset, uint width, uint height, uint viewCount,
                        Format format = Format.Rgba8Unorm, SortOrder sort = SortOrder.Shared,
                        ulong gpuMemoryBudgetBytes = 0)
        {
            var desc = new Native.RendererDesc
            {
                StructSize = (uint)Marshal.SizeOf(typeof(Native.RendererDesc)),
                Width = width, Height = height, ViewCount = viewCount, Format = (uint)format, SortOrder = (uint)sort,
                GpuMemoryBudgetBytes = gpuMemoryBudgetBytes,
            };
            Native.Check(Native.s4d_renderer_create(runtime.Handle, asset.Handle, ref desc, out handle));
            Width = width; Height = height; ViewCount = viewCount;
        }

        /// A frame of `views` (pinned by `pinned`) at `seconds`.
        static Native.FrameDesc Frame(double seconds, View[] views, GCHandle pinned)
        {
            return new Native.FrameDesc
            {
                StructSize = (uint)Marshal.SizeOf(typeof(Native.FrameDesc)),
                ViewCount = (uint)views.Length,
                Views = pinned.AddrOfPinnedObject(),
                TimeSeconds = seconds,
            };
        }

        public void Render(double seconds, View[] views)
        {
            var pinned = GCHandle.Alloc(views, GCHandleType.Pinned);
            try
            {
                var frame = Frame(seconds, views, pinned);
                Native.Check(Native.s4d_renderer_render(handle, ref frame));
            }
            finally { pinned.Free(); }
        }

        /// Embedded: records the frame into the host's VkCommandBuffer, drawing into its VkImage
        /// (left in finalLayout): cleared, or kept under the splats (from initialLayout), with
        /// the host's depth where given. Nothing is submitted (see s4d_renderer_record).
        public void Record(IntPtr commandBuffer, double seconds, View[] views, ulong image, uint finalLayout,
                           ColorLoad load = ColorLoad.Clear, uint initialLayout = 0, HostDepth? depth = null)
        {
            var pinned = GCHandle.Alloc(views, GCHandleType.Pinned);
            var host = depth ?? default(HostDepth);
            host.StructSize = (uint)Marshal.SizeOf(typeof(HostDepth));
            var hostPinned = GCHandle.Alloc(host, GCHandleType.Pinned);
            try
            {
                var frame = Frame(seconds, views, pinned);
                var target = new Native.HostImage
                {
                    StructSize = (uint)Marshal.SizeOf(typeof(Native.HostImage)),
                    FinalLayout = finalLayout,
                    Image = image,
                    ColorLoad = load,
                    InitialLayout = initialLayout,
                    Depth = depth.HasValue ? hostPinned.AddrOfPinnedObject() : IntPtr.Zero,
                };
                Native.Check(Native.s4d_renderer_record(handle, commandBuffer, ref frame, ref target));
            }
            finally { pinned.Free(); hostPinned.Free(); }
        }

        /// The last frame's view as RGBA8, rows from the top.
        public byte[] ReadBack(uint view)
        {
            var pixels = new byte[Width * Height * 4];
            Native.Check(Native.s4d_renderer_read_back(handle, view, pixels, (UIntPtr)pixels.Length));
            return pixels;
        }

        public FrameStats Stats
        {
            get
            {
                var stats = new FrameStats { StructSize = (uint)Marshal.SizeOf(typeof(FrameStats)) };
                Native.Check(Native.s4d_renderer_get_stats(handle, ref stats));
                return stats;
            }
        }

        /// Levels of detail (finest..coarsest, FLoD's γ in pixels), a GPU frame budget in ms (0: none) and
        /// active sets, from the next frame on.
        public void SetPolicy(uint lodFinest = 0, uint lodCoarsest = uint.MaxValue, float lodGamma = 1,
                              double frameBudgetMs = 0, bool activeSets = true)
        {
            SetPolicy(new Policy { LodFinest = lodFinest, LodCoarsest = lodCoarsest, LodGamma = lodGamma,
                                   FrameBudgetMs = frameBudgetMs, ActiveSets = activeSets });
        }

        public void SetPolicy(Policy policy)
        {
            var native = policy.ToNative();
            Native.Check(Native.s4d_renderer_set_policy(handle, ref native));
        }

        /// Records the stats of every frame from now on into a ring of `capacity` frames.
        public void StartCapture(uint capacity)
        {
            Native.Check(Native.s4d_renderer_capture_start(handle, capacity));
        }

        /// Ends the capture (waiting for the frames in flight) and returns it.
        public Capture StopCapture()
        {
            CaptureHandle capture;
            Native.Check(Native.s4d_renderer_capture_stop(handle, out capture));
            return new Capture(capture);
        }

        public void Dispose() { handle.Dispose(); }
    }

    /// The frames of a capture, oldest first, and their exports.
    public sealed class Capture : IDisposable
    {
        readonly CaptureHandle handle;

        internal Capture(CaptureHandle handle) { this.handle = handle; }

        public uint FrameCount
        {
            get { uint n; ulong dropped; Native.Check(Native.s4d_capture_get_frame_count(handle, out n, out dropped)); return n; }
        }

        public FrameStats Frame(uint index)
        {
            var stats = new FrameStats { StructSize = (uint)Marshal.SizeOf(typeof(FrameStats)) };
            Native.Check(Native.s4d_capture_get_frame(handle, index, ref stats));
            return stats;
        }

        /// The capture as a Chrome trace (JSON) or CSV.
        public string Export(CaptureFormat format)
        {
            UIntPtr length;
            Native.Check(Native.s4d_capture_export(handle, format, null, UIntPtr.Zero, out length));
            var bytes = new byte[(int)length + 1];
            Native.Check(Native.s4d_capture_export(handle, format, bytes, (UIntPtr)bytes.Length, out length));
            return Encoding.UTF8.GetString(bytes, 0, (int)length);
        }

        public void Save(CaptureFormat format, string path)
        {
            Native.Check(Native.s4d_capture_save(handle, format, Native.Utf8(path)));
        }

        public void Dispose() { handle.Dispose(); }
    }

    /// Packs a trainer's or tool's file (PLY, .splatv, .splat, .ksplat, SPZ, SOG, glTF) into an
    /// .s4d, as `splat4d pack` does (s4d_pack): written whole or not at all.
    public static class Packer
    {
        [StructLayout(LayoutKind.Sequential)]
        internal struct Desc
        {
            public uint StructSize, SegmentFrames, Levels, Antialiased;
            public float FrameRate, TimeStart, TimeEnd;
            public uint Reserved;
            public IntPtr Progress, User;
        }

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void ProgressCallback(IntPtr user, IntPtr stage, ulong done, ulong total);

        [DllImport(Native.Lib)] static extern Status s4d_pack(byte[] input, byte[] output, ref Desc desc);

        /// `progress(stage, done, total)` is called on this thread about every 100 ms while the
        /// pack runs. `levels` above 1 merges that many levels of detail; 0s are the defaults.
        public static void Pack(string input, string output, Action<string, ulong, ulong> progress = null,
                                uint levels = 0, uint segmentFrames = 0, float frameRate = 0, bool antialiased = false)
        {
            ProgressCallback callback = null;
            if (progress != null)
                callback = (user, stage, done, total) => progress(Marshal.PtrToStringAnsi(stage), done, total);
            var desc = new Desc
            {
                StructSize = (uint)Marshal.SizeOf(typeof(Desc)),
                SegmentFrames = segmentFrames, Levels = levels, Antialiased = antialiased ? 1u : 0u, FrameRate = frameRate,
                Progress = callback == null ? IntPtr.Zero : Marshal.GetFunctionPointerForDelegate(callback),
            };
            Native.Check(s4d_pack(Native.Utf8(input), Native.Utf8(output), ref desc));
            // The delegate must outlive the call that holds its pointer.
            GC.KeepAlive(callback);
        }
    }
}
