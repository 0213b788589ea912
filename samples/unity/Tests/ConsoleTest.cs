// Runs the C# bindings against libsplat4d.so under Mono: opens an asset, renders a frame,
// checks the pixels, the error paths and the playback clock. Exit code 0 on success.
//
//   mcs -out:test.exe ../Splat4d.cs ../Playback.cs ConsoleTest.cs && mono test.exe ASSET.s4d
using System;
using System.IO;
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
            ExpectThrows(Status.InvalidArgument, "format 5", () => new Renderer(runtime, asset, 8, 8, 1, (Format)5));
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
}
