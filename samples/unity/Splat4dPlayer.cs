// A Unity component that plays an .s4d asset: it drives a Playback clock from Unity's frame
// time and renders the attached camera's view into a texture each frame (standalone mode; the
// embedded mode, rendering into Unity's own Vulkan images, comes with the engine plugin).
#if UNITY_2019_1_OR_NEWER
using UnityEngine;

namespace Splat4d
{
    [RequireComponent(typeof(Camera))]
    public sealed class Splat4dPlayer : MonoBehaviour
    {
        public string assetPath = "scene.s4d";
        public bool loop = true;
        [Range(-4f, 4f)] public float speed = 1f;
        public int width = 1280, height = 720;
        public Texture2D output;

        Runtime runtime;
        Asset asset;
        Renderer splats;
        Playback clock;

        void OnEnable()
        {
            runtime = new Runtime();
            asset = new Asset(assetPath);
            var info = asset.Info;
            clock = new Playback(info.TimeStart, info.TimeEnd);
            splats = new Renderer(runtime, asset, (uint)width, (uint)height, 1, Format.Rgba8Srgb);
            output = new Texture2D(width, height, TextureFormat.RGBA32, false, false);
        }

        void Update()
        {
            clock.Loop = loop;
            clock.Speed = speed;
            double t = clock.Advance(Time.deltaTime);
            splats.Render(t, new[] { ViewOf(GetComponent<Camera>()) });
            var pixels = splats.ReadBack(0);
            // splat4d's rows run from the top, Unity's from the bottom.
            var flipped = new byte[pixels.Length];
            int row = width * 4;
            for (int y = 0; y < height; y++)
                System.Buffer.BlockCopy(pixels, y * row, flipped, (height - 1 - y) * row, row);
            output.LoadRawTextureData(flipped);
            output.Apply(false);
        }

        void OnDisable()
        {
            splats?.Dispose();
            asset?.Dispose();
            runtime?.Dispose();
        }

        public void Play() { clock.Playing = true; }
        public void Pause() { clock.Playing = false; }
        public void Seek(double seconds) { clock.Seek(seconds); }

        // Unity is left-handed (looking down +z); splat4d's views are OpenXR's (looking down -z).
        static View ViewOf(Camera camera)
        {
            Vector3 p = camera.transform.position;
            Quaternion q = camera.transform.rotation;
            float tanY = Mathf.Tan(0.5f * camera.fieldOfView * Mathf.Deg2Rad), tanX = tanY * camera.aspect;
            return new View
            {
                PositionX = p.x, PositionY = p.y, PositionZ = -p.z,
                OrientationX = -q.x, OrientationY = -q.y, OrientationZ = q.z, OrientationW = q.w,
                TanLeft = -tanX, TanRight = tanX, TanUp = tanY, TanDown = -tanY,
            };
        }
    }
}
#endif
