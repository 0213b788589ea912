// Runs the C# bindings against libsplat4d.so under Mono: opens an asset, renders a frame,
// checks the pixels, the error paths and the playback clock; packs SOURCE as the editor importer
// does; checks the Unity plugin's calls before Unity loads it and the matrices that place an
// asset in Unity's world; prints each mirrored struct's layout for the test suite to compare with
// the library's. Exit code 0 on success.
//
//   mcs -out:test.exe ../Runtime/*.cs ../Editor/*.cs ConsoleTest.cs
//   mono test.exe ASSET.s4d SOURCE.ply SCRATCH_DIR URL_OF_ASSET
using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Threading;
using Splat4d;

static class ConsoleTest
{
    static int failures;

    static void Expect(bool ok, string what)
    {
        Console.WriteLine((ok ? "ok   " : "FAIL ") + what);
        if (!ok) failures++;
    }

    static void ExpectThrows(Status status, string what, Action action)
    {
        try { action(); Expect(false, what + ": no exception"); }
        catch (Splat4dException e) { Expect(e.Status == status && e.Message.Length > 0, what + ": " + e.Status + " " + e.Message); }
    }

    static int Main(string[] args)
    {
        Console.WriteLine("splat4d " + Runtime.LibraryVersion);
        ExpectThrows(Status.Io, "open a missing file", () => new Asset("/no/such/file.s4d"));
        ExpectThrows(Status.InvalidAsset, "open garbage", () => new Asset(new byte[64]));
        using (var runtime = new Runtime(validation: true))
        using (var asset = new Asset(File.ReadAllBytes(args[0])))
        {
            var info = asset.Info;
            Expect(info.PrimitiveCount > 0 && info.TimeEnd > info.TimeStart, "asset info: " + info.PrimitiveCount + " primitives");
            ExpectThrows(Status.InvalidArgument, "a 0x0 renderer", () => new Renderer(runtime, asset, 0, 0, 1));
            ExpectThrows(Status.InvalidArgument, "format 6", () => new Renderer(runtime, asset, 8, 8, 1, (Format)6));
            using (var renderer = new Renderer(runtime, asset, 96, 64, 1))
            {
                ExpectThrows(Status.NotReady, "read back before rendering", () => renderer.ReadBack(0));
                var view = new View
                {
                    PositionX = 0.5f * (info.BoundsMinX + info.BoundsMaxX),
                    PositionY = 0.5f * (info.BoundsMinY + info.BoundsMaxY),
                    PositionZ = 0.5f * (info.BoundsMinZ + info.BoundsMaxZ) + 2.5f,
                    OrientationW = 1,
                    TanLeft = -1, TanRight = 1, TanUp = 0.667f, TanDown = -0.667f,
                };
                ExpectThrows(Status.InvalidArgument, "two views for one", () => renderer.Render(0.5, new[] { view, view }));
                renderer.Render(0.5 * (info.TimeStart + info.TimeEnd), new[] { view });
                var pixels = renderer.ReadBack(0);
                int lit = 0;
                for (int i = 0; i < pixels.Length; i += 4) if (pixels[i] + pixels[i + 1] + pixels[i + 2] > 60) lit++;
                Expect(lit > pixels.Length / 4 / 20, "the frame shows the scene (" + lit + " lit pixels)");
                var stats = renderer.Stats;
                Expect(stats.FrameIndex == 1 && stats.GpuTimesValid == 1, "stats of frame 1");
                Expect(stats.Visible > 0 && stats.Visible <= stats.Active && stats.DrawnLeft == stats.Visible,
                       "frame 1 drew " + stats.DrawnLeft + " of " + stats.Active + " active splats");
                renderer.StartCapture(16);
                for (int i = 0; i < 5; i++) renderer.Render(info.TimeStart + 0.1 * i, new[] { view });
                using (var capture = renderer.StopCapture())
                {
                    Expect(capture.FrameCount == 5 && capture.Frame(4).FrameIndex == 6, "a capture of frames 2..6");
                    var csv = capture.Export(CaptureFormat.Csv).Split('\n');
                    Expect(csv[0].StartsWith("frame,") && csv.Length == 7, "its CSV: a header, 5 rows, a newline");
                    Expect(capture.Export(CaptureFormat.ChromeTrace).StartsWith("{"), "its Chrome trace");
                    ExpectThrows(Status.InvalidArgument, "frame 5 of 5", () => capture.Frame(5));
                }
                ExpectThrows(Status.NotReady, "stop a capture twice", () => renderer.StopCapture());
                ExpectThrows(Status.InvalidArgument, "gamma 0", () => renderer.SetPolicy(lodGamma: 0));
                ExpectThrows(Status.InvalidArgument, "a level the asset lacks", () => renderer.SetPolicy(lodFinest: 7));
                renderer.SetPolicy(lodGamma: 2, frameBudgetMs: 0.001);
                for (int i = 0; i < 4; i++) renderer.Render(info.TimeStart, new[] { view });
                renderer.ReadBack(0);
                Expect(renderer.Stats.LodGamma >= 2, "the governor's γ is at least its floor: " + renderer.Stats.LodGamma);
                renderer.SetPolicy();
                ExpectThrows(Status.InvalidArgument, "read back view 3", () => renderer.ReadBack(3));
                // Embedded recording's arguments are checked before the command buffer is used
                // (this one is not a real one). Layouts: TRANSFER_SRC 6, TRANSFER_DST 7,
                // DEPTH_STENCIL_ATTACHMENT 3; 126 is D32_SFLOAT.
                var fake = (IntPtr)0x1000;
                ExpectThrows(Status.NullPointer, "record into a NULL command buffer",
                             () => renderer.Record(IntPtr.Zero, 0.5, new[] { view }, 0x3000, 6));
                var depth = new HostDepth { Format = 126, Image = 0x2000, Width = 96, Height = 64, LayerCount = 1,
                                            InitialLayout = 3, FinalLayout = 6, Flags = DepthFlags.Test };
                depth.SetFromProjection(new float[] { 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, -1.0408163f, -1, 0, 0, -0.20408164f, 0 },
                                        ClipDepth.MinusOneToOne);
                Expect(Math.Abs(depth.NearPlane - 0.1f) < 1e-4 && Math.Abs(depth.FarPlane - 5) < 1e-2 && depth.Flags == DepthFlags.Test,
                       "depth planes from an OpenGL projection: " + depth.NearPlane + ".." + depth.FarPlane);
                var narrow = depth;
                narrow.Width = 95;
                ExpectThrows(Status.InvalidArgument, "a depth image of the wrong size",
                             () => renderer.Record(fake, 0.5, new[] { view }, 0x3000, 6, ColorLoad.Keep, 7, narrow));
                ExpectThrows(Status.InvalidArgument, "kept colour from UNDEFINED",
                             () => renderer.Record(fake, 0.5, new[] { view }, 0x3000, 6, ColorLoad.Keep, 0, depth));
            }
            using (var streaming = new Renderer(runtime, asset, 32, 32, 1, gpuMemoryBudgetBytes: 64u << 20))
            {
                streaming.Render(0.5 * (info.TimeStart + info.TimeEnd), new[] { new View { PositionZ = 3, OrientationW = 1,
                    TanLeft = -1, TanRight = 1, TanUp = 1, TanDown = -1 } });
                Expect(streaming.ReadBack(0).Length == 32 * 32 * 4, "a streamed frame");
                Expect(streaming.Stats.ResidentBytes <= (64u << 20), "resident within the budget");
            }
            ExpectThrows(Status.InvalidArgument, "a budget no page fits",
                         () => new Renderer(runtime, asset, 8, 8, 1, gpuMemoryBudgetBytes: 1000));
            Expect(runtime.ValidationMessageCount == 0, "no validation messages");
        }

        using (var local = new Asset(args[0]))
        using (var remote = Asset.FromUrl(args[3]))
            Expect(remote.Info.PrimitiveCount == local.Info.PrimitiveCount && remote.Info.TimeEnd == local.Info.TimeEnd,
                   "the asset over HTTP: " + remote.Info.PrimitiveCount + " primitives");
        ExpectThrows(Status.InvalidArgument, "a URL that is not http", () => Asset.FromUrl("ftp://127.0.0.1/a.s4d"));
        PackerTest(args[1], args[2]);
        UnityPluginTest();
        UnityViewsTest();
        PrintLayouts();

        var clock = new Playback(0, 4);
        Expect(Math.Abs(clock.Advance(1.5) - 1.5) < 1e-9, "plays");
        clock.Speed = 2;
        Expect(Math.Abs(clock.Advance(1.5) - 0.5) < 1e-9, "loops at double speed");
        clock.Playing = false;
        Expect(clock.Advance(1) == 0.5, "pauses");
        clock.Playing = true; clock.Loop = false; clock.Speed = -1;
        Expect(clock.Advance(2) == 0 && !clock.Playing, "stops at the start playing backwards");
        clock.Seek(9);
        Expect(clock.Time == 4, "seeks within the range");
        Console.WriteLine(failures + " failures");
        return failures == 0 ? 0 : 1;
    }

    static void PackerTest(string source, string dir)
    {
        string output = Path.Combine(dir, "packed-by-csharp.s4d");
        ExpectThrows(Status.Io, "pack a missing file", () => Packer.Pack("/no/such/file.ply", output));
        Expect(!File.Exists(output), "a failed pack writes nothing");
        int caller = Thread.CurrentThread.ManagedThreadId, calls = 0, elsewhere = 0;
        string last = "";
        Packer.Pack(source, output, (stage, done, total) =>
        {
            calls++;
            if (Thread.CurrentThread.ManagedThreadId != caller) elsewhere++;
            last = stage;
        }, levels: 2);
        Expect(calls > 0 && elsewhere == 0 && last == "write",
               "pack progress on the calling thread: " + calls + " calls, " + elsewhere + " elsewhere, last '" + last + "'");
        using (var packed = new Asset(output))
        {
            var info = packed.Info;
            Expect(info.PrimitiveCount > 0 && info.LevelCount == 2, "packed " + info.PrimitiveCount + " primitives in " + info.LevelCount + " levels");
        }
    }

    static void UnityPluginTest()
    {
        // Unity is not here: nothing loaded the plugin, and every plugin call says so.
        var state = UnityPlugin.Info;
        Expect(!state.Loaded && !state.Ready && !state.Intercepted, "the plugin is not loaded outside Unity");
        ExpectThrows(Status.InvalidArgument, "plugin events before Unity loads it", () => { var e = UnityPlugin.Events; });
        using (var asset = new Asset(File.ReadAllBytes(Environment.GetCommandLineArgs()[1])))
            ExpectThrows(Status.InvalidArgument, "a plugin view before Unity loads it",
                         () => new PluginView(asset, SortOrder.Shared, Policy.Default));
    }

    // An OpenGL projection: 90 degrees both ways, near 0.1, far 5.
    static readonly float[] Projection = { 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, -1.0408163f, -1, 0, 0, -0.20408164f, 0 };

    // Unity's worldToCameraMatrix of a camera at `p` turned `yaw` degrees about y (Unity's
    // rotation: +z towards +x): the inverse of its transform, then z negated (OpenGL's camera space).
    static float[] UnityWorldToCamera(float px, float py, float pz, double yaw)
    {
        float c = (float)Math.Cos(yaw * Math.PI / 180), s = (float)Math.Sin(yaw * Math.PI / 180);
        // The inverse rotation's rows are the transform's columns: x (c, 0, -s), y, z (s, 0, c).
        float[] rows = { c, 0, -s, 0, 1, 0, s, 0, c };
        var m = new float[16];
        for (int r = 0; r < 3; r++)
        {
            float sign = r == 2 ? -1 : 1;
            for (int k = 0; k < 3; k++) m[k * 4 + r] = sign * rows[r * 3 + k];
            m[12 + r] = -sign * (rows[r * 3] * px + rows[r * 3 + 1] * py + rows[r * 3 + 2] * pz);
        }
        m[15] = 1;
        return m;
    }

    static float[] Transform(float scale, float tx, float ty, float tz)
    {
        return new float[] { scale, 0, 0, 0, 0, scale, 0, 0, 0, 0, scale, 0, tx, ty, tz, 1 };
    }

    static bool Near(float a, float b) { return Math.Abs(a - b) < 1e-4f; }

    static bool Pose(View v, float x, float y, float z, float qx, float qy, float qz, float qw)
    {
        float dot = v.OrientationX * qx + v.OrientationY * qy + v.OrientationZ * qz + v.OrientationW * qw;
        return Near(v.PositionX, x) && Near(v.PositionY, y) && Near(v.PositionZ, z) && Math.Abs(Math.Abs(dot) - 1) < 1e-4f;
    }

    static string Show(View v)
    {
        return string.Format("({0:F3}, {1:F3}, {2:F3}) q ({3:F3}, {4:F3}, {5:F3}, {6:F3})", v.PositionX, v.PositionY, v.PositionZ,
                             v.OrientationX, v.OrientationY, v.OrientationZ, v.OrientationW);
    }

    static void UnityViewsTest()
    {
        // A camera 5 m behind the world origin looking along Unity's +z sees an asset placed at
        // the origin from the asset's +z, looking down its -z: OpenXR's identity orientation.
        var v = UnityViews.AssetView(UnityWorldToCamera(0, 0, -5, 0), Projection, Transform(1, 0, 0, 0));
        Expect(Pose(v, 0, 0, 5, 0, 0, 0, 1) && Near(v.TanLeft, -1) && Near(v.TanRight, 1) && Near(v.TanUp, 1) && Near(v.TanDown, -1),
               "a camera behind the asset: " + Show(v));
        // The asset moved to (1, 2, 3) and doubled: the same view from twice as far in world units.
        v = UnityViews.AssetView(UnityWorldToCamera(1, 2, -7, 0), Projection, Transform(2, 1, 2, 3));
        Expect(Pose(v, 0, 0, 5, 0, 0, 0, 1), "a moved, doubled asset: " + Show(v));
        // Turned 90 degrees to look along Unity's +x (which the mirror leaves the asset's +x):
        // view space's -z turned onto +x, a -90 degree turn about y.
        v = UnityViews.AssetView(UnityWorldToCamera(-4, 0, 0, 90), Projection, Transform(1, 0, 0, 0));
        Expect(Pose(v, -4, 0, 0, 0, -0.70710678f, 0, 0.70710678f), "a camera turned to +x: " + Show(v));
        ExpectThrows(Status.InvalidArgument, "an orthographic projection", () => UnityViews.AssetView(
            UnityWorldToCamera(0, 0, -5, 0), new float[] { 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1 }, Transform(1, 0, 0, 0)));
        var mirrored = Transform(1, 0, 0, 0);
        mirrored[0] = -1;
        var uneven = Transform(1, 0, 0, 0);
        uneven[5] = 2;
        foreach (var bad in new[] { mirrored, uneven })
        {
            try { UnityViews.AssetView(UnityWorldToCamera(0, 0, -5, 0), Projection, bad); Expect(false, "a mirrored or uneven transform is refused"); }
            catch (ArgumentException e) { Expect(true, "refused: " + e.Message); }
        }

        // Both eyes of a single-pass XR camera, 6.4 cm apart, into a flipped render texture with
        // Unity's reversed depth tested, not written; the planes in the asset's units.
        var eyes = new[] { UnityWorldToCamera(-0.032f, 0, -5, 0), UnityWorldToCamera(0.032f, 0, -5, 0) };
        var frame = UnityViews.Frame(eyes, new[] { Projection, Projection }, Transform(0.5f, 0, 0, 0), 1.25,
                                     (IntPtr)0x100, (IntPtr)0x200, true, false, true);
        Expect(frame.ViewCount == 2 && Pose(frame.View0, -0.064f, 0, 10, 0, 0, 0, 1) && Pose(frame.View1, 0.064f, 0, 10, 0, 0, 0, 1),
               "two eyes: " + Show(frame.View0) + " " + Show(frame.View1));
        Expect(frame.Flags == UnityFrameFlags.FlipY && frame.DepthFlags == (DepthFlags.Test | DepthFlags.Reversed)
               && Near(frame.NearPlane, 0.2f) && Math.Abs(frame.FarPlane - 10) < 1e-2 && frame.TimeSeconds == 1.25
               && frame.StructSize == 144,
               "the frame's flags and depth planes: " + frame.DepthFlags + " " + frame.NearPlane + ".." + frame.FarPlane);
        frame = UnityViews.Frame(new[] { eyes[0] }, new[] { Projection }, Transform(1, 0, 0, 0), 0, (IntPtr)0x100, IntPtr.Zero,
                                 true, true, false);
        Expect(frame.ViewCount == 1 && frame.DepthFlags == 0 && frame.Flags == UnityFrameFlags.None, "a mono frame without depth");
        try { UnityViews.Frame(eyes, new[] { Projection }, Transform(1, 0, 0, 0), 0, (IntPtr)1, IntPtr.Zero, true, true, false); Expect(false, "eyes without projections"); }
        catch (ArgumentException) { Expect(true, "two eyes with one projection are refused"); }
    }

    // Each struct the bindings mirror: its size and its fields' offsets in declaration order,
    // for runtime/tests/hosts.rs to compare with the library's own.
    static void PrintLayouts()
    {
        var types = new[] { typeof(View), typeof(AssetInfo), typeof(FrameStats), typeof(HostDepth), typeof(UnityFrame),
                            typeof(Native).GetNestedType("RuntimeDesc", BindingFlags.NonPublic),
                            typeof(Native).GetNestedType("RendererDesc", BindingFlags.NonPublic),
                            typeof(Native).GetNestedType("FramePolicy", BindingFlags.NonPublic),
                            typeof(Native).GetNestedType("FrameDesc", BindingFlags.NonPublic),
                            typeof(Native).GetNestedType("HostImage", BindingFlags.NonPublic),
                            typeof(Native).GetNestedType("UnityEvents", BindingFlags.NonPublic),
                            typeof(Native).GetNestedType("UnityInfo", BindingFlags.NonPublic),
                            typeof(Native).GetNestedType("UnityViewDesc", BindingFlags.NonPublic),
                            typeof(Native).GetNestedType("UnityViewCounts", BindingFlags.NonPublic),
                            typeof(Packer).GetNestedType("Desc", BindingFlags.NonPublic) };
        foreach (var t in types)
        {
            var line = "layout " + t.Name + " " + Marshal.SizeOf(t);
            foreach (var f in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
                line += " " + Marshal.OffsetOf(t, f.Name);
            Console.WriteLine(line);
        }
    }
}
