//! The playback clock of a player: play, pause, seek, loop and speed over an asset's time range,
//! driven by the display's clock (an OpenXR predicted display time, a swapchain's present time)
//! so that the scene moves at the rate frames are shown, not the rate they are made.

use crate::error::{Error, Result};

#[derive(Clone, Debug)]
pub struct Playback {
    range: [f64; 2],
    time: f64,
    playing: bool,
    looping: bool,
    speed: f64,
    /// The clock time of the last [`Playback::at`], in nanoseconds.
    last_clock: Option<i64>,
}

impl Playback {
    /// A clock at the start of `range` (seconds on the asset's axis), playing, looping, at 1×.
    pub fn new(range: [f32; 2]) -> Result<Playback> {
        let [a, b] = range.map(f64::from);
        if !(a.is_finite() && b.is_finite() && a <= b) {
            return Err(Error::InvalidArgument(format!("time range {a}..{b} is not a finite, ordered range")));
        }
        Ok(Playback { range: [a, b], time: a, playing: true, looping: true, speed: 1.0, last_clock: None })
    }

    /// The playback time now, in the asset's seconds.
    pub fn time(&self) -> f64 {
        self.time
    }

    pub fn range(&self) -> [f64; 2] {
        self.range
    }

    pub fn is_playing(&self) -> bool {
        self.playing
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    pub fn is_looping(&self) -> bool {
        self.looping
    }

    /// Plays from where it is; at the end of a range it does not loop, from the other end.
    pub fn play(&mut self) {
        if !self.looping && self.range[1] > self.range[0] {
            if self.speed > 0.0 && self.time >= self.range[1] {
                self.time = self.range[0];
            } else if self.speed < 0.0 && self.time <= self.range[0] {
                self.time = self.range[1];
            }
        }
        self.playing = true;
    }

    pub fn pause(&mut self) {
        self.playing = false;
    }

    pub fn toggle(&mut self) {
        if self.playing {
            self.pause()
        } else {
            self.play()
        }
    }

    /// Playback seconds per second of the clock; negative plays backwards.
    pub fn set_speed(&mut self, speed: f64) -> Result<()> {
        if !speed.is_finite() {
            return Err(Error::InvalidArgument(format!("speed {speed} is not finite")));
        }
        self.speed = speed;
        Ok(())
    }

    pub fn set_looping(&mut self, looping: bool) {
        self.looping = looping;
    }

    /// Jumps to `time`, clamped to the range (NaN is ignored).
    pub fn seek(&mut self, time: f64) {
        if !time.is_nan() {
            self.time = time.clamp(self.range[0], self.range[1]);
        }
    }

    /// The playback time to show at clock time `clock_ns`: the clock's progress since the last
    /// call, times the speed. The first call only starts the clock; a clock that goes back is
    /// taken as no progress. Paused, the clock still runs, so playing again does not jump.
    pub fn at(&mut self, clock_ns: i64) -> f64 {
        let elapsed = match self.last_clock.replace(clock_ns) {
            Some(last) => clock_ns.saturating_sub(last).max(0) as f64 * 1e-9,
            None => 0.0,
        };
        self.advance(elapsed)
    }

    /// Advances by `seconds` of clock time and returns the playback time to show.
    pub fn advance(&mut self, seconds: f64) -> f64 {
        if !self.playing || !seconds.is_finite() || seconds <= 0.0 {
            return self.time;
        }
        let [a, b] = self.range;
        let t = self.time + seconds * self.speed;
        let length = b - a;
        if self.looping && length > 0.0 {
            self.time = a + (t - a).rem_euclid(length);
        } else {
            // Without looping, playback stops where it runs out of the range.
            if (self.speed > 0.0 && t >= b) || (self.speed < 0.0 && t <= a) {
                self.playing = false;
            }
            self.time = t.clamp(a, b);
        }
        self.time
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    fn clock() -> Playback {
        Playback::new([1.0, 5.0]).unwrap()
    }

    #[test]
    fn follows_the_display_clock() {
        let mut p = clock();
        // The first display time only starts the clock, wherever it is.
        assert_eq!(p.at(1_000 * S), 1.0);
        assert_eq!(p.at(1_000 * S + S / 2), 1.5);
        assert_eq!(p.at(1_001 * S), 2.0);
        // A clock that goes back is no progress; from there it runs on.
        assert_eq!(p.at(1_000 * S), 2.0);
        assert_eq!(p.at(1_000 * S + S / 4), 2.25);
    }

    #[test]
    fn loops_both_ways() {
        let mut p = clock();
        assert_eq!(p.advance(4.5), 1.5, "past the end wraps to the start");
        assert_eq!(p.advance(41.0), 2.5, "many loops in one step");
        p.set_speed(-1.0).unwrap();
        assert_eq!(p.advance(2.0), 4.5, "backwards past the start wraps to the end");
        assert!(p.is_playing());
    }

    #[test]
    fn without_looping_stops_at_either_end_and_replays_from_the_other() {
        let mut p = clock();
        p.set_looping(false);
        assert_eq!(p.advance(10.0), 5.0);
        assert!(!p.is_playing());
        assert_eq!(p.advance(1.0), 5.0, "stopped");
        p.play();
        assert_eq!(p.time(), 1.0, "play at the end starts over");
        p.set_speed(-2.0).unwrap();
        assert_eq!(p.advance(1.0), 1.0);
        assert!(!p.is_playing());
        p.play();
        assert_eq!(p.time(), 5.0, "backwards, play at the start starts from the end");
    }

    #[test]
    fn pause_holds_time_and_resumes_without_a_jump() {
        let mut p = clock();
        p.at(0);
        p.at(S);
        p.pause();
        assert_eq!(p.at(3 * S), 2.0, "paused for two seconds");
        p.toggle();
        assert_eq!(p.at(3 * S + S / 2), 2.5, "resumes from the paused time");
    }

    #[test]
    fn speed_and_seek() {
        let mut p = clock();
        p.set_speed(2.5).unwrap();
        assert_eq!(p.advance(1.0), 3.5);
        assert!(p.set_speed(f64::NAN).is_err() && p.set_speed(f64::INFINITY).is_err());
        assert_eq!(p.speed(), 2.5);
        p.seek(99.0);
        assert_eq!(p.time(), 5.0, "seeks clamp to the range");
        p.seek(-3.0);
        assert_eq!(p.time(), 1.0);
        p.seek(f64::NAN);
        assert_eq!(p.time(), 1.0, "NaN is ignored");
        p.set_speed(0.0).unwrap();
        assert_eq!(p.advance(10.0), 1.0, "speed 0 holds");
        assert_eq!(p.advance(f64::NAN), 1.0);
    }

    #[test]
    fn a_still_asset_and_bad_ranges() {
        let mut p = Playback::new([2.0, 2.0]).unwrap();
        assert_eq!(p.advance(3.0), 2.0, "a zero-length range shows its one time");
        assert!(Playback::new([3.0, 1.0]).is_err());
        assert!(Playback::new([0.0, f32::NAN]).is_err());
        assert!(Playback::new([f32::NEG_INFINITY, 1.0]).is_err());
    }
}
