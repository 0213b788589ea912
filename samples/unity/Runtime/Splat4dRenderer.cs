// Plays a Splat4dAsset in the scene, drawn by splat4d's native plugin straight into each camera's
// colour and depth after its opaque geometry: hidden by what is in front of it, written into the
// depth for what comes after. The built-in pipeline gets a command buffer per camera
// (CameraEvent.AfterForwardOpaque); URP draws it through Splat4dRenderFeature. Everything but
// the calls into UnityEngine is in UnityPlugin.cs and Playback.cs, which are tested outside Unity.
#if UNITY_2021_3_OR_NEWER
using System.Collections.Generic;
using Unity.Profiling;
using UnityEngine;
using UnityEngine.Rendering;
using UnityEngine.XR;

namespace Splat4d
{
    [AddComponentMenu("Rendering/Splat4d Renderer")]
    public sealed class Splat4dRenderer : MonoBehaviour
    {
        public Splat4dAsset asset;
        public bool playOnEnable = true;
        public bool loop = true;
        [Range(-4f, 4f)] public float speed = 1f;
        [Tooltip("Distance: a head turn never reorders splats (XR). Shared: by view depth.")]
        public SortOrder sortOrder = SortOrder.Distance;
        [Tooltip("Levels of detail, FLoD's gamma in pixels, and a GPU budget in ms that moves gamma (0: none).")]
        public Policy policy = Policy.Default;
        [Tooltip("Stream the asset within this much GPU memory; 0 uploads it whole.")]
        public int gpuMemoryBudgetMB = 0;
        [Tooltip("Write the splats' depth where they cover half a pixel or more, for what is drawn after them.")]
        public bool writeDepth = true;

        /// Every enabled renderer, for Splat4dRenderFeature.
        public static readonly List<Splat4dRenderer> Active = new List<Splat4dRenderer>();

        public Playback Clock { get; private set; }
        /// The newest finished frame's stats of the last camera drawn, and its view's counts.
        public FrameStats LastStats { get; private set; }
        public ViewCounts LastCounts { get; private set; }

        // Not readonly: Value is set on the struct itself.
        static ProfilerCounterValue<double> GpuMs =
            new ProfilerCounterValue<double>(ProfilerCategory.Render, "splat4d GPU ms", ProfilerMarkerDataUnit.Count);
        static ProfilerCounterValue<int> Visible =
            new ProfilerCounterValue<int>(ProfilerCategory.Render, "splat4d visible splats", ProfilerMarkerDataUnit.Count);
        static ProfilerCounterValue<long> Resident =
            new ProfilerCounterValue<long>(ProfilerCategory.Memory, "splat4d GPU memory", ProfilerMarkerDataUnit.Bytes);

        Asset native;
        Policy applied;
        double time;
        readonly Dictionary<Camera, Binding> bindings = new Dictionary<Camera, Binding>();

        sealed class Binding
        {
            public PluginView View;
            public CommandBuffer Commands;
        }

        void OnEnable()
        {
            if (asset == null) { Debug.LogWarning("splat4d: no asset", this); enabled = false; return; }
            var state = UnityPlugin.Info;
            if (!state.Ready)
            {
                Debug.LogError("splat4d: the native plugin is not running on Unity's device: the graphics API must be " +
                               "Vulkan and libsplat4d must be in Plugins/ with Load on startup (loaded " + state.Loaded + ")", this);
                enabled = false;
                return;
            }
            native = asset.Open();
            Clock = new Playback(asset.TimeStart, asset.TimeEnd) { Playing = playOnEnable };
            applied = policy;
            Active.Add(this);
            Camera.onPreRender += OnPreRenderCamera;
        }

        void OnDisable()
        {
            Camera.onPreRender -= OnPreRenderCamera;
            Active.Remove(this);
            foreach (var pair in bindings)
            {
                if (pair.Value.Commands != null && pair.Key != null)
                    pair.Key.RemoveCommandBuffer(CameraEvent.AfterForwardOpaque, pair.Value.Commands);
                pair.Value.Commands?.Release();
                pair.Value.View.Dispose();
            }
            bindings.Clear();
            native?.Dispose();
            native = null;
        }

        void Update()
        {
            Clock.Loop = loop;
            Clock.Speed = speed;
            time = Clock.Advance(Time.deltaTime);
            bool changed = !policy.Equals(applied);
            applied = policy;
            foreach (var pair in bindings)
            {
                if (changed) pair.Value.View.SetPolicy(policy);
                FrameStats stats;
                ViewCounts counts;
                if (pair.Value.View.TryGetStats(out stats, out counts))
                {
                    LastStats = stats;
                    LastCounts = counts;
                    GpuMs.Value = stats.GpuMs;
                    Visible.Value = (int)stats.Visible;
                    Resident.Value = (long)stats.GpuMemoryBytes;
                }
            }
        }

        Binding Bind(Camera camera)
        {
            Binding b;
            if (bindings.TryGetValue(camera, out b)) return b;
            b = new Binding { View = new PluginView(native, sortOrder, policy, (ulong)gpuMemoryBudgetMB << 20) };
            bindings.Add(camera, b);
            return b;
        }

        // Built-in pipeline: the frame is submitted as the camera starts rendering; its command
        // buffer, run after the opaque geometry, issues the draw.
        void OnPreRenderCamera(Camera camera)
        {
            if (GraphicsSettings.currentRenderPipeline != null || (camera.cullingMask & (1 << gameObject.layer)) == 0) return;
            var b = Bind(camera);
            if (b.Commands == null)
            {
                b.Commands = new CommandBuffer { name = "splat4d" };
                var events = UnityPlugin.Events;
                b.Commands.IssuePluginEventAndData(events.RenderEvent, events.DrawEventId, (System.IntPtr)b.View.Id);
                camera.AddCommandBuffer(CameraEvent.AfterForwardOpaque, b.Commands);
            }
            var target = camera.activeTexture != null ? camera.activeTexture : camera.targetTexture;
            if (target != null)
                Submit(camera, target.colorBuffer, target.depthBuffer, true);
            else
                Submit(camera, Display.main.colorBuffer, Display.main.depthBuffer, false);
        }

        /// Submits this camera's frame for the next draw event of its view; `flipped`: the target's
        /// rows are bottom-up (a render texture on Vulkan). Returns the view, whose ID is the
        /// event's data. For render pipelines (Splat4dRenderFeature), which issue the event themselves.
        public PluginView Submit(Camera camera, RenderBuffer color, RenderBuffer depth, bool flipped)
        {
            var b = Bind(camera);
            bool instanced = camera.stereoEnabled && XRSettings.stereoRenderingMode != XRSettings.StereoRenderingMode.MultiPass;
            float[][] views, projections;
            uint pass = 0;
            if (instanced)
            {
                views = new[] { Columns(camera.GetStereoViewMatrix(Camera.StereoscopicEye.Left)),
                                Columns(camera.GetStereoViewMatrix(Camera.StereoscopicEye.Right)) };
                projections = new[] { Columns(camera.GetStereoProjectionMatrix(Camera.StereoscopicEye.Left)),
                                      Columns(camera.GetStereoProjectionMatrix(Camera.StereoscopicEye.Right)) };
            }
            else
            {
                views = new[] { Columns(camera.worldToCameraMatrix) };
                projections = new[] { Columns(camera.projectionMatrix) };
                // Multi-pass XR renders each eye as a pass of its own, drawn by a renderer of its own.
                if (camera.stereoEnabled && camera.stereoActiveEye == Camera.MonoOrStereoscopicEye.Right) pass = 1;
            }
            var frame = UnityViews.Frame(views, projections, Columns(transform.localToWorldMatrix), time,
                                         color.GetNativeRenderBufferPtr(), depth.GetNativeRenderBufferPtr(),
                                         SystemInfo.usesReversedZBuffer, writeDepth, flipped, pass);
            b.View.Submit(frame);
            return b.View;
        }

        static float[] Columns(Matrix4x4 m)
        {
            var o = new float[16];
            for (int i = 0; i < 16; i++) o[i] = m[i % 4, i / 4];
            return o;
        }

        void OnDrawGizmosSelected()
        {
            if (asset == null) return;
            var b = asset.AssetBounds;
            Gizmos.matrix = transform.localToWorldMatrix * Matrix4x4.Scale(new Vector3(1, 1, -1));
            Gizmos.DrawWireCube(b.center, b.size);
        }
    }
}
#endif
