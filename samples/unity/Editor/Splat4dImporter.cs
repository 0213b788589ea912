// Imports splat files dropped into a Unity project as Splat4dAssets: a trainer's or tool's file
// (.ply, .splatv, .spz, .sog, .ksplat, .splat; .glb/.gltf when chosen) is packed to .s4d by
// splat4d's own packer through the C ABI (s4d_pack, with a progress bar); an .s4d is taken as it
// is. The packed bytes are kept in the imported asset, in the project's Library, not beside the
// source.
#if UNITY_EDITOR
using System.IO;
using UnityEditor;
using UnityEditor.AssetImporters;
using UnityEngine;

namespace Splat4d.Editor
{
    [ScriptedImporter(1, new[] { "s4d", "ply", "splatv", "spz", "sog", "ksplat", "splat" }, new[] { "glb", "gltf" })]
    public sealed class Splat4dImporter : ScriptedImporter
    {
        [Tooltip("Levels of detail: the source's own and this many minus one merged from it.")]
        [Range(1, 8)] public int levels = 1;
        [Tooltip("Frames per temporal segment.")]
        public int segmentFrames = 20;
        [Tooltip("Frames per second of a per-frame sequence (0: the source's, else 30).")]
        public float frameRate = 0;
        [Tooltip("The model was trained with anti-aliasing (Mip-Splatting's 2D filter).")]
        public bool antialiased = false;

        public override void OnImportAsset(AssetImportContext ctx)
        {
            byte[] bytes;
            if (Path.GetExtension(ctx.assetPath).ToLowerInvariant() == ".s4d")
            {
                bytes = File.ReadAllBytes(ctx.assetPath);
            }
            else
            {
                string packed = FileUtil.GetUniqueTempPathInProject() + ".s4d";
                try
                {
                    string title = "splat4d: packing " + Path.GetFileName(ctx.assetPath);
                    Packer.Pack(Path.GetFullPath(ctx.assetPath), Path.GetFullPath(packed),
                                (stage, done, total) => EditorUtility.DisplayProgressBar(title, stage,
                                    total == 0 ? 0f : (float)done / total),
                                (uint)levels, (uint)segmentFrames, frameRate, antialiased);
                    bytes = File.ReadAllBytes(packed);
                }
                catch (Splat4dException e)
                {
                    ctx.LogImportError("splat4d could not pack " + ctx.assetPath + ": " + e.Message);
                    return;
                }
                finally
                {
                    EditorUtility.ClearProgressBar();
                    if (File.Exists(packed)) File.Delete(packed);
                }
            }
            var asset = ScriptableObject.CreateInstance<Splat4dAsset>();
            try { asset.Set(bytes); }
            catch (Splat4dException e)
            {
                ctx.LogImportError(ctx.assetPath + " is not a valid splat4d asset: " + e.Message);
                return;
            }
            asset.name = Path.GetFileNameWithoutExtension(ctx.assetPath);
            ctx.AddObjectToAsset("splats", asset);
            ctx.SetMainObject(asset);
        }
    }
}
#endif
