// The playback clock a player drives: play, pause, seek, loop and speed over an asset's time
// range. Plain C#, so it runs (and is tested) outside Unity too.
using System;

namespace Splat4d
{
    public sealed class Playback
    {
        public readonly double Start, End;
        public bool Playing = true;
        public bool Loop = true;
        public double Speed = 1.0;
        public double Time { get; private set; }

        public Playback(double start, double end)
        {
            if (!(end >= start)) throw new ArgumentException("the time range must not be reversed");
            Start = start; End = end; Time = start;
        }

        public void Seek(double time) { Time = Math.Min(Math.Max(time, Start), End); }

        /// Advances by `seconds` of wall time; returns the playback time to render.
        public double Advance(double seconds)
        {
            if (!Playing || double.IsNaN(seconds)) return Time;
            double t = Time + seconds * Speed, length = End - Start;
            if (Loop && length > 0)
            {
                t = Start + ((t - Start) % length + length) % length;
            }
            else
            {
                // Without looping, playback stops where it runs out of the range.
                if ((Speed > 0 && t >= End) || (Speed < 0 && t <= Start)) Playing = false;
                t = Math.Min(Math.Max(t, Start), End);
            }
            Time = t;
            return t;
        }
    }
}
