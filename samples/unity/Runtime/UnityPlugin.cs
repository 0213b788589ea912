// The C# half of splat4d's Unity native rendering plugin (the s4d_unity_* calls of splat4d.h),
// in plain C# so that Mono runs and tests it outside Unity: the plugin's events and state, a
// view per camera, and the frame a camera submits, with the matrices that place an asset in
// Unity's world. The components that call it from Unity are Splat4dRenderer and
// Splat4dRenderFeature.
using System;
using System.Runtime.InteropServices;

namespace Splat4d
{
    public static partial class Native
    {
        [StructLayout(LayoutKind.Sequential)]
        internal struct UnityEvents
        {
            public uint StructSize;
            public int DrawEventId, CollectEventId;
            public uint Reserved;
            public IntPtr RenderEvent;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct UnityInfo { public uint StructSize, Loaded, Ready, Intercepted, Multiview; }

        [StructLayout(LayoutKind.Sequential)]
        internal struct UnityViewDesc
        {
            public uint StructSize, SortOrder, DisableStats, Reserved;
            public ulong GpuMemoryBudgetBytes;
            public IntPtr Policy;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct UnityViewCounts
        {
            public uint StructSize, Reserved;
            public ulong Recorded, SkippedInFlight, Failed, Dropped;
        }

        [DllImport(Lib)] internal static extern Status s4d_unity_get_events(ref UnityEvents events);
        [DllImport(Lib)] internal static extern Status s4d_unity_get_info(ref UnityInfo info);
        [DllImport(Lib)] internal static extern Status s4d_unity_view_create(AssetHandle asset, ref UnityViewDesc desc, out uint view);
        [DllImport(Lib)] internal static extern Status s4d_unity_view_submit(uint view, ref UnityFrame frame);
        [DllImport(Lib)] internal static extern Status s4d_unity_view_set_policy(uint view, ref FramePolicy policy);
        [DllImport(Lib)] internal static extern Status s4d_unity_view_get_stats(uint view, ref FrameStats stats, ref UnityViewCounts counts);
        [DllImport(Lib)] internal static extern Status s4d_unity_view_destroy(uint view);
    }

    /// S4dUnityFrame.flags.
    [Flags]
    public enum UnityFrameFlags : uint { None = 0, FlipY = 1 }

    /// One camera's frame for the plugin's next draw event (S4dUnityFrame): one view, or both
    /// eyes of a single-pass instanced XR target; Unity's colour and depth RenderBuffers
    /// (GetNativeRenderBufferPtr) and how its depth is kept.
    [StructLayout(LayoutKind.Sequential)]
    public struct UnityFrame
    {
        public uint StructSize, ViewCount;
        public View View0, View1;
        public double TimeSeconds;
        public IntPtr ColorBuffer, DepthBuffer;
        public DepthFlags DepthFlags;
        public float NearPlane, FarPlane;
        public UnityFrameFlags Flags;
        public uint Pass, Reserved;
    }

    /// Where an asset sits in Unity's world and how Unity's camera sees it, turned into splat4d's
    /// views. Unity's world is left-handed (y up, z forward); an asset's space is right-handed like
    /// OpenXR's (and the trainers'), so an asset is placed mirrored in z: asset (x, y, z) is
    /// (x, y, -z) in its transform's space. Unity's camera matrices are OpenGL's whatever the
    /// graphics API ("worldToCameraMatrix ... camera space matches OpenGL convention: camera's
    /// forward is the negative Z axis"; "projectionMatrix ... always in OpenGL convention",
    /// Unity scripting reference, Camera), which is what s4d_view_from_matrices reads.
    public static class UnityViews
    {
        /// Column-major 4x4 product a·b.
        public static float[] Multiply(float[] a, float[] b)
        {
            var o = new float[16];
            for (int col = 0; col < 4; col++)
                for (int row = 0; row < 4; row++)
                {
                    float sum = 0;
                    for (int k = 0; k < 4; k++) sum += a[k * 4 + row] * b[col * 4 + k];
                    o[col * 4 + row] = sum;
                }
            return o;
        }

        /// The uniform scale of a transform's matrix (column-major), or an exception for one that
        /// shears, scales unevenly or mirrors: splat4d draws an asset rigidly placed and evenly scaled.
        public static float UniformScale(float[] localToWorld)
        {
            double[] len = new double[3];
            for (int c = 0; c < 3; c++)
                len[c] = Math.Sqrt(localToWorld[c * 4] * localToWorld[c * 4] + localToWorld[c * 4 + 1] * localToWorld[c * 4 + 1]
                                   + localToWorld[c * 4 + 2] * localToWorld[c * 4 + 2]);
            double s = (len[0] + len[1] + len[2]) / 3;
            double det = localToWorld[0] * (localToWorld[5] * localToWorld[10] - localToWorld[9] * localToWorld[6])
                       - localToWorld[4] * (localToWorld[1] * localToWorld[10] - localToWorld[9] * localToWorld[2])
                       + localToWorld[8] * (localToWorld[1] * localToWorld[6] - localToWorld[5] * localToWorld[2]);
            bool even = s > 0 && Math.Abs(len[0] - s) < 1e-3 * s && Math.Abs(len[1] - s) < 1e-3 * s && Math.Abs(len[2] - s) < 1e-3 * s;
            if (!even || !(det > 0) || Math.Abs(det - s * s * s) > 1e-2 * s * s * s)
                throw new ArgumentException("the splats' transform must be a rotation, translation and uniform positive scale");
            return (float)s;
        }

        /// The matrix taking asset space into a camera's view space, in the asset's units:
        /// worldToCamera · localToWorld · mirror(z), divided by the transform's scale so that it
        /// is rigid (a perspective image does not change with the scale; the depth planes do).
        public static float[] AssetToView(float[] worldToCamera, float[] localToWorld, out float scale)
        {
            scale = UniformScale(localToWorld);
            var placed = (float[])localToWorld.Clone();
            for (int row = 0; row < 3; row++) placed[8 + row] = -placed[8 + row];
            var m = Multiply(worldToCamera, placed);
            for (int i = 0; i < 16; i++) if (i % 4 != 3) m[i] /= scale;
            return m;
        }

        /// One eye's view of the asset.
        public static View AssetView(float[] worldToCamera, float[] projection, float[] localToWorld)
        {
            float scale;
            return View.FromMatrices(AssetToView(worldToCamera, localToWorld, out scale), projection);
        }

        /// A camera's frame: its eyes' view and projection matrices (one, or two for single-pass
        /// instanced XR), the asset's transform, the time, Unity's target RenderBuffers, whether
        /// Unity's depth is reversed (SystemInfo.usesReversedZBuffer: true on Vulkan) and kept,
        /// and whether the target's rows are bottom-up (a render texture on Vulkan).
        public static UnityFrame Frame(float[][] worldToCamera, float[][] projection, float[] localToWorld, double time,
                                       IntPtr color, IntPtr depth, bool reversedZ, bool writeDepth, bool flipped, uint pass = 0)
        {
            if (worldToCamera == null || projection == null || worldToCamera.Length != projection.Length
                || worldToCamera.Length < 1 || worldToCamera.Length > 2)
                throw new ArgumentException("one or two eyes, each with a view and a projection");
            if (color == IntPtr.Zero) throw new ArgumentException("no colour target");
            var frame = new UnityFrame
            {
                StructSize = (uint)Marshal.SizeOf(typeof(UnityFrame)),
                ViewCount = (uint)worldToCamera.Length,
                TimeSeconds = time,
                ColorBuffer = color,
                DepthBuffer = depth,
                Flags = flipped ? UnityFrameFlags.FlipY : UnityFrameFlags.None,
                Pass = pass,
            };
            float scale;
            frame.View0 = View.FromMatrices(AssetToView(worldToCamera[0], localToWorld, out scale), projection[0]);
            if (worldToCamera.Length == 2)
                frame.View1 = View.FromMatrices(AssetToView(worldToCamera[1], localToWorld, out scale), projection[1]);
            if (depth != IntPtr.Zero)
            {
                // The planes of the OpenGL projection Unity reports, in the asset's units; whether
                // the depth Unity stores runs reversed is the platform's, not the matrix's.
                var planes = new HostDepth();
                planes.SetFromProjection(projection[0], ClipDepth.MinusOneToOne);
                frame.NearPlane = planes.NearPlane / scale;
                frame.FarPlane = planes.FarPlane / scale;
                frame.DepthFlags = DepthFlags.Test | (writeDepth ? DepthFlags.Write : 0) | (reversedZ ? DepthFlags.Reversed : 0);
            }
            return frame;
        }
    }

    /// The plugin as loaded into this process by Unity.
    public static class UnityPlugin
    {
        /// Loaded: Unity called UnityPluginLoad. Ready: splat4d runs on Unity's Vulkan device.
        /// Intercepted: Unity made its device through the plugin (the library is loaded on
        /// startup). Multiview: both eyes of an XR target are drawn in one pass.
        public struct State { public bool Loaded, Ready, Intercepted, Multiview; }

        public static State Info
        {
            get
            {
                var info = new Native.UnityInfo { StructSize = (uint)Marshal.SizeOf(typeof(Native.UnityInfo)) };
                Native.Check(Native.s4d_unity_get_info(ref info));
                return new State { Loaded = info.Loaded != 0, Ready = info.Ready != 0, Intercepted = info.Intercepted != 0,
                                   Multiview = info.Multiview != 0 };
            }
        }

        /// CommandBuffer.IssuePluginEventAndData(RenderEvent, DrawEventId, (IntPtr)view.Id) draws
        /// a view's oldest submitted frame; CollectEventId frees what Unity's GPU finished with.
        public struct EventIds { public IntPtr RenderEvent; public int DrawEventId, CollectEventId; }

        public static EventIds Events
        {
            get
            {
                var e = new Native.UnityEvents { StructSize = (uint)Marshal.SizeOf(typeof(Native.UnityEvents)) };
                Native.Check(Native.s4d_unity_get_events(ref e));
                return new EventIds { RenderEvent = e.RenderEvent, DrawEventId = e.DrawEventId, CollectEventId = e.CollectEventId };
            }
        }
    }

    /// What became of a view's frames (S4dUnityViewCounts).
    public struct ViewCounts { public ulong Recorded, SkippedInFlight, Failed, Dropped; }

    /// An asset drawn into one Unity camera: submit its frame on the main thread each time the
    /// camera renders, and issue the draw event with this view's ID in the camera's command buffer.
    public sealed class PluginView : IDisposable
    {
        public readonly uint Id;
        bool destroyed;

        /// `gpuMemoryBudgetBytes` above 0 streams the asset within that much GPU memory.
        public PluginView(Asset asset, SortOrder sort, Policy policy, ulong gpuMemoryBudgetBytes = 0, bool stats = true)
        {
            var native = policy.ToNative();
            var pinned = GCHandle.Alloc(native, GCHandleType.Pinned);
            try
            {
                var desc = new Native.UnityViewDesc
                {
                    StructSize = (uint)Marshal.SizeOf(typeof(Native.UnityViewDesc)),
                    SortOrder = (uint)sort,
                    DisableStats = stats ? 0u : 1u,
                    GpuMemoryBudgetBytes = gpuMemoryBudgetBytes,
                    Policy = pinned.AddrOfPinnedObject(),
                };
                Native.Check(Native.s4d_unity_view_create(asset.Handle, ref desc, out Id));
            }
            finally { pinned.Free(); }
        }

        public void Submit(UnityFrame frame)
        {
            if (destroyed) throw new ObjectDisposedException("PluginView");
            Native.Check(Native.s4d_unity_view_submit(Id, ref frame));
        }

        public void SetPolicy(Policy policy)
        {
            var native = policy.ToNative();
            Native.Check(Native.s4d_unity_view_set_policy(Id, ref native));
        }

        /// The newest finished frame's stats and what became of the view's frames; false before
        /// a frame finished.
        public bool TryGetStats(out FrameStats stats, out ViewCounts counts)
        {
            stats = new FrameStats { StructSize = (uint)Marshal.SizeOf(typeof(FrameStats)) };
            var c = new Native.UnityViewCounts { StructSize = (uint)Marshal.SizeOf(typeof(Native.UnityViewCounts)) };
            var status = Native.s4d_unity_view_get_stats(Id, ref stats, ref c);
            counts = new ViewCounts { Recorded = c.Recorded, SkippedInFlight = c.SkippedInFlight, Failed = c.Failed, Dropped = c.Dropped };
            if (status == Status.NotReady) return false;
            Native.Check(status);
            return true;
        }

        /// Ends the view; its GPU resources go once Unity's GPU is done with them.
        public void Dispose()
        {
            if (destroyed) return;
            destroyed = true;
            Native.s4d_unity_view_destroy(Id);
        }
    }
}
