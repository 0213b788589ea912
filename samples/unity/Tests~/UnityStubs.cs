// Declarations (no behaviour) of the few UnityEngine, UnityEditor, URP and Unity.Profiling
// members the package's components call, with the signatures of Unity's scripting reference
// (docs.unity3d.com/ScriptReference, URP's and the render graph's API pages), so that mcs can
// type-check those components outside Unity. This checks that our code is consistent with these
// declarations; that the declarations are Unity's own is only as true as their transcription, and
// nothing here runs. Compiled by runtime/tests/hosts.rs with the package's UNITY_ and SPLAT4D_
// defines set.
#pragma warning disable 67, 649, 414
using System;

namespace UnityEngine
{
    public class Object { public string name; }
    public class ScriptableObject : Object { public static T CreateInstance<T>() where T : ScriptableObject { return null; } }
    public class Component : Object { public GameObject gameObject; public Transform transform; }
    public class Behaviour : Component { public bool enabled; }
    public class MonoBehaviour : Behaviour { }
    public sealed class GameObject : Object { public int layer; }
    public class Transform : Component { public Matrix4x4 localToWorldMatrix; }
    public enum CameraType { Game = 1, SceneView = 2, Preview = 4, VR = 8, Reflection = 16 }

    public sealed class Camera : Behaviour
    {
        public delegate void CameraCallback(Camera cam);
        public static CameraCallback onPreRender;
        public enum StereoscopicEye { Left, Right }
        public enum MonoOrStereoscopicEye { Left, Right, Mono }
        public int cullingMask;
        public RenderTexture activeTexture, targetTexture;
        public bool stereoEnabled;
        public MonoOrStereoscopicEye stereoActiveEye;
        public Matrix4x4 worldToCameraMatrix, projectionMatrix;
        public CameraType cameraType;
        public Matrix4x4 GetStereoViewMatrix(StereoscopicEye eye) { return default(Matrix4x4); }
        public Matrix4x4 GetStereoProjectionMatrix(StereoscopicEye eye) { return default(Matrix4x4); }
        public void AddCommandBuffer(Rendering.CameraEvent evt, Rendering.CommandBuffer buffer) { }
        public void RemoveCommandBuffer(Rendering.CameraEvent evt, Rendering.CommandBuffer buffer) { }
    }

    public struct Matrix4x4
    {
        public float this[int row, int column] { get { return 0; } set { } }
        public static Matrix4x4 operator *(Matrix4x4 lhs, Matrix4x4 rhs) { return lhs; }
        public static Matrix4x4 Scale(Vector3 vector) { return default(Matrix4x4); }
    }

    public struct Vector3 { public float x, y, z; public Vector3(float x, float y, float z) { this.x = x; this.y = y; this.z = z; } }

    public struct Bounds
    {
        public Vector3 center, size;
        public void SetMinMax(Vector3 min, Vector3 max) { }
    }

    public struct RenderBuffer { public IntPtr GetNativeRenderBufferPtr() { return IntPtr.Zero; } }
    public class Texture : Object { }
    public class RenderTexture : Texture { public RenderBuffer colorBuffer, depthBuffer; }
    public class Display { public static Display main; public RenderBuffer colorBuffer, depthBuffer; }
    public static class Debug
    {
        public static void LogWarning(object message, Object context) { }
        public static void LogError(object message, Object context) { }
    }
    public static class Time { public static float deltaTime; }
    public static class SystemInfo { public static bool usesReversedZBuffer; }
    public static class Gizmos { public static Matrix4x4 matrix; public static void DrawWireCube(Vector3 center, Vector3 size) { } }

    public sealed class SerializeField : Attribute { }
    public sealed class HideInInspector : Attribute { }
    public sealed class RangeAttribute : Attribute { public RangeAttribute(float min, float max) { } }
    public sealed class TooltipAttribute : Attribute { public TooltipAttribute(string tooltip) { } }
    public sealed class AddComponentMenu : Attribute { public AddComponentMenu(string menuName) { } }
}

namespace UnityEngine.XR
{
    public static class XRSettings
    {
        public enum StereoRenderingMode { MultiPass = 0, SinglePass, SinglePassInstanced, SinglePassMultiview }
        public static StereoRenderingMode stereoRenderingMode;
    }
}

namespace UnityEngine.Rendering
{
    public enum CameraEvent { BeforeForwardOpaque = 2, AfterForwardOpaque = 3 }
    public class CommandBuffer : IDisposable
    {
        public string name;
        public void IssuePluginEventAndData(IntPtr callback, int eventID, IntPtr data) { }
        public void Release() { }
        public void Dispose() { }
    }
    public class RenderPipelineAsset : ScriptableObject { }
    public static class GraphicsSettings { public static RenderPipelineAsset currentRenderPipeline; }
    public static class CommandBufferPool
    {
        public static CommandBuffer Get(string name) { return null; }
        public static void Release(CommandBuffer buffer) { }
    }
    public struct ScriptableRenderContext { public void ExecuteCommandBuffer(CommandBuffer commandBuffer) { } }
    public class RTHandle { public RenderTexture rt; }
    public class UnsafeCommandBuffer { }
    public static class CommandBufferHelpers { public static CommandBuffer GetNativeCommandBuffer(UnsafeCommandBuffer baseBuffer) { return null; } }
    public class ContextContainer { public T Get<T>() where T : class, new() { return null; } }
}

namespace UnityEngine.Rendering.RenderGraphModule
{
    public struct TextureHandle { public static implicit operator RTHandle(TextureHandle texture) { return null; } }
    [Flags] public enum AccessFlags { None = 0, Read = 1, Write = 2, Discard = 4, WriteAll = 6, ReadWrite = 3 }
    public class UnsafeGraphContext { public UnsafeCommandBuffer cmd; }
    public delegate void BaseRenderFunc<PassData, ContextType>(PassData data, ContextType renderGraphContext) where PassData : class, new();
    public interface IUnsafeRenderGraphBuilder : IDisposable
    {
        void UseTexture(TextureHandle input, AccessFlags flags = AccessFlags.Read); // Unity: `in TextureHandle` (C# 7.2; mcs has 7.0)
        void AllowPassCulling(bool value);
        void SetRenderFunc<PassData>(BaseRenderFunc<PassData, UnsafeGraphContext> renderFunc) where PassData : class, new();
    }
    public class RenderGraph
    {
        public IUnsafeRenderGraphBuilder AddUnsafePass<PassData>(string passName, out PassData passData) where PassData : class, new()
        { passData = null; return null; }
    }
}

namespace UnityEngine.Rendering.Universal
{
    public enum RenderPassEvent { BeforeRenderingOpaques = 250, AfterRenderingOpaques = 300, AfterRenderingSkybox = 350 }
    public abstract class ScriptableRenderer
    {
        public RTHandle cameraColorTargetHandle, cameraDepthTargetHandle;
        public void EnqueuePass(ScriptableRenderPass pass) { }
    }
    public struct CameraData
    {
        public Camera camera;
        public CameraType cameraType;
        public ScriptableRenderer renderer;
        public bool IsCameraProjectionMatrixFlipped() { return false; }
    }
    public struct RenderingData { public CameraData cameraData; }
    public class UniversalResourceData { public RenderGraphModule.TextureHandle activeColorTexture, activeDepthTexture; }
    public class UniversalCameraData { public Camera camera; public bool IsCameraProjectionMatrixFlipped() { return false; } }
    public abstract class ScriptableRenderPass
    {
        public RenderPassEvent renderPassEvent;
        [Obsolete("Compatibility mode only")]
        public virtual void Execute(ScriptableRenderContext context, ref RenderingData renderingData) { }
        public virtual void RecordRenderGraph(RenderGraphModule.RenderGraph renderGraph, ContextContainer frameData) { }
    }
    public abstract class ScriptableRendererFeature : ScriptableObject
    {
        public abstract void Create();
        public abstract void AddRenderPasses(ScriptableRenderer renderer, ref RenderingData renderingData);
    }
}

namespace Unity.Profiling
{
    public struct ProfilerCategory
    {
        public static ProfilerCategory Render { get { return default(ProfilerCategory); } }
        public static ProfilerCategory Memory { get { return default(ProfilerCategory); } }
    }
    public enum ProfilerMarkerDataUnit : byte { Undefined = 0, TimeNanoseconds = 1, Bytes = 2, Count = 3 }
    public struct ProfilerCounterValue<T> where T : struct
    {
        public ProfilerCounterValue(ProfilerCategory category, string name, ProfilerMarkerDataUnit dataUnit) { }
        public T Value { get { return default(T); } set { } }
    }
}

namespace UnityEditor
{
    public static class EditorUtility
    {
        public static void DisplayProgressBar(string title, string info, float progress) { }
        public static void ClearProgressBar() { }
    }
    public static class FileUtil { public static string GetUniqueTempPathInProject() { return null; } }
}

namespace UnityEditor.AssetImporters
{
    public sealed class ScriptedImporterAttribute : Attribute
    {
        public ScriptedImporterAttribute(int version, string[] exts, string[] overrideExts) { }
    }
    public class AssetImportContext
    {
        public string assetPath;
        public void LogImportError(string msg, UnityEngine.Object obj = null) { }
        public void AddObjectToAsset(string identifier, UnityEngine.Object obj) { }
        public void SetMainObject(UnityEngine.Object obj) { }
    }
    public abstract class ScriptedImporter : UnityEngine.Object { public abstract void OnImportAsset(AssetImportContext ctx); }
}
