// URP: add this feature to the Universal Renderer asset and every enabled Splat4dRenderer draws
// into each camera's colour and depth after the opaque geometry. Compiled where the package's
// assembly sees URP (SPLAT4D_URP, set by Splat4d.Runtime.asmdef's version defines). Unity 6's
// render graph records an unsafe pass; older URPs (12-16) run Execute. Each pass submits the
// camera's frame when it runs (on the main thread, where the graph or URP executes passes) and
// issues the plugin's draw event into the camera's command buffer.
#if UNITY_2021_3_OR_NEWER && SPLAT4D_URP
using UnityEngine;
using UnityEngine.Rendering;
using UnityEngine.Rendering.Universal;
#if UNITY_6000_0_OR_NEWER
using UnityEngine.Rendering.RenderGraphModule;
#endif

namespace Splat4d
{
    public sealed class Splat4dRenderFeature : ScriptableRendererFeature
    {
        public RenderPassEvent passEvent = RenderPassEvent.AfterRenderingOpaques;
        SplatPass pass;

        public override void Create() { pass = new SplatPass { renderPassEvent = passEvent }; }

        public override void AddRenderPasses(ScriptableRenderer renderer, ref RenderingData renderingData)
        {
            if (Splat4dRenderer.Active.Count > 0 && renderingData.cameraData.cameraType != CameraType.Preview)
                renderer.EnqueuePass(pass);
        }

        sealed class SplatPass : ScriptableRenderPass
        {
            // Draws every active renderer into `color` and `depth`, from `cmd`.
            static void Draw(CommandBuffer cmd, Camera camera, RenderTexture color, RenderTexture depth, bool flipped)
            {
                var events = UnityPlugin.Events;
                foreach (var splats in Splat4dRenderer.Active)
                {
                    if ((camera.cullingMask & (1 << splats.gameObject.layer)) == 0) continue;
                    var colorBuffer = color != null ? color.colorBuffer : Display.main.colorBuffer;
                    var depthBuffer = depth != null ? depth.depthBuffer : Display.main.depthBuffer;
                    var view = splats.Submit(camera, colorBuffer, depthBuffer, flipped);
                    cmd.IssuePluginEventAndData(events.RenderEvent, events.DrawEventId, (System.IntPtr)view.Id);
                }
            }

#if UNITY_6000_0_OR_NEWER
            sealed class PassData
            {
                public TextureHandle Color, Depth;
                public Camera Camera;
                public bool Flipped;
            }

            public override void RecordRenderGraph(RenderGraph graph, ContextContainer frame)
            {
                var resources = frame.Get<UniversalResourceData>();
                var cameraData = frame.Get<UniversalCameraData>();
                using (var builder = graph.AddUnsafePass<PassData>("splat4d", out var data))
                {
                    data.Color = resources.activeColorTexture;
                    data.Depth = resources.activeDepthTexture;
                    data.Camera = cameraData.camera;
                    data.Flipped = cameraData.IsCameraProjectionMatrixFlipped();
                    builder.UseTexture(data.Color, AccessFlags.ReadWrite);
                    builder.UseTexture(data.Depth, AccessFlags.ReadWrite);
                    builder.AllowPassCulling(false);
                    builder.SetRenderFunc((PassData d, UnsafeGraphContext context) =>
                    {
                        RTHandle color = d.Color, depth = d.Depth;
                        Draw(CommandBufferHelpers.GetNativeCommandBuffer(context.cmd), d.Camera, color.rt, depth.rt, d.Flipped);
                    });
                }
            }
#endif

#pragma warning disable 618, 672 // Execute: URP before the render graph, and its compatibility mode.
            public override void Execute(ScriptableRenderContext context, ref RenderingData renderingData)
            {
                var cameraData = renderingData.cameraData;
                var cmd = CommandBufferPool.Get("splat4d");
                var renderer = cameraData.renderer;
                Draw(cmd, cameraData.camera, renderer.cameraColorTargetHandle.rt, renderer.cameraDepthTargetHandle.rt,
                     cameraData.IsCameraProjectionMatrixFlipped());
                context.ExecuteCommandBuffer(cmd);
                CommandBufferPool.Release(cmd);
            }
#pragma warning restore 618, 672
        }
    }
}
#endif
