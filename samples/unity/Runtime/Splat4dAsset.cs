// An imported splat asset in a Unity project: the packed .s4d bytes (made by the editor importer
// from a .ply, .splatv, .spz, ... or taken as they are from an .s4d) and what they hold.
#if UNITY_2021_3_OR_NEWER
using UnityEngine;

namespace Splat4d
{
    public sealed class Splat4dAsset : ScriptableObject
    {
        [SerializeField, HideInInspector] byte[] packed;
        [SerializeField] uint primitives, levels, shDegree;
        [SerializeField] double timeStart, timeEnd, frameRate;
        [SerializeField] Vector3 boundsMin, boundsMax;

        public uint Primitives { get { return primitives; } }
        public uint Levels { get { return levels; } }
        public uint ShDegree { get { return shDegree; } }
        public double TimeStart { get { return timeStart; } }
        public double TimeEnd { get { return timeEnd; } }
        public double FrameRate { get { return frameRate; } }
        public long Bytes { get { return packed == null ? 0 : packed.LongLength; } }

        /// The asset's bounds in its own space (right-handed; Splat4dRenderer mirrors z into Unity's).
        public Bounds AssetBounds
        {
            get { var b = new Bounds(); b.SetMinMax(boundsMin, boundsMax); return b; }
        }

        /// Opens the bytes as a splat4d asset (verified: a corrupt asset throws Splat4dException).
        public Asset Open() { return new Asset(packed); }

        /// Sets the bytes (the importer's job), checking them first.
        public void Set(byte[] bytes)
        {
            using (var asset = new Asset(bytes))
            {
                var info = asset.Info;
                primitives = info.PrimitiveCount; levels = info.LevelCount; shDegree = info.ShDegree;
                timeStart = info.TimeStart; timeEnd = info.TimeEnd; frameRate = info.FrameRate;
                boundsMin = new Vector3(info.BoundsMinX, info.BoundsMinY, info.BoundsMinZ);
                boundsMax = new Vector3(info.BoundsMaxX, info.BoundsMaxY, info.BoundsMaxZ);
            }
            packed = bytes;
        }
    }
}
#endif
