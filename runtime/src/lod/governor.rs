//! The frame-budget governor (DESIGN §4): a closed loop from the measured GPU frame time to
//! the selective rule's γ, so that a busy scene costs detail, not frames.
//!
//! It works in log γ, with a dead band and with the loop's delay taken into account:
//! - A frame over `HIGH` of the budget raises γ at once by the whole correction to `AIM` (at
//!   most ×4 per step), so a spike is answered as soon as it is measured. How far γ must move
//!   depends on how the cost falls with γ, `cost ∝ γ^-e`: e is learnt from each change (the
//!   first frame made after it against the last one before), starting from 1.
//! - A frame under `LOW` lowers γ by a quarter of the correction: detail comes back gently,
//!   and the step never overshoots into the upper band.
//! - Between the two it holds, which is what keeps it from oscillating.
//! - After a change it ignores the frames still made with the old γ (stats arrive a frame or
//!   two late): acting on them again would double the correction.
//! - Coarser is not always cheaper: a coarse level's splats are fewer but larger, and where
//!   the fine level is sparse they cost more fill than they save. When raising γ did not make
//!   the next frame cheaper, γ goes back (the finer image for no more cost) and gets a
//!   ceiling there, lifted once the load falls under `LOW`, grows by half, or after
//!   [`CEILING_FRAMES`] frames, so that it is probed again.
//!
//! γ stays within `[min_gamma, max_gamma]`.

use super::Selection;

/// Over this fraction of the budget γ rises.
pub const HIGH: f64 = 0.9;
/// Under this fraction of the budget γ falls.
pub const LOW: f64 = 0.65;
/// Where a correction aims.
pub const AIM: f64 = 0.78;
/// The most one step multiplies γ by (rising).
const MAX_STEP: f64 = 4.0;
/// The share of the correction taken per step when γ falls.
const RECOVERY_GAIN: f64 = 0.25;
/// The largest γ the governor picks: every floor may then reach a thousand pixels.
pub const MAX_GAMMA: f32 = 1024.0;
/// How long a ceiling found by a failed raise holds (about a second at 90 Hz).
pub const CEILING_FRAMES: u64 = 90;
/// The least cost elasticity a raise must show to count as working: below it the cost fell
/// by less than the noise of a frame's time, or rose.
const MIN_GAIN: f64 = 0.1;

#[derive(Clone, Debug)]
pub struct Governor {
    budget_ms: f64,
    base: Selection,
    min_gamma: f32,
    max_gamma: f32,
    gamma: f32,
    /// The first frame made with the current γ: earlier frames' times say nothing of it.
    since: u64,
    /// The newest frame measured, and its time.
    last_measured: u64,
    last_ms: f64,
    /// γ before the current one, while the first frame made with the current one is awaited.
    previous_gamma: Option<f32>,
    /// How the cost falls with γ: `cost ∝ γ^-elasticity`.
    elasticity: f64,
    /// The highest γ worth choosing now, and the frame that found it.
    ceiling: f32,
    ceiling_found: u64,
    ceiling_load: f64,
}

/// Bounds of the learnt elasticity: beyond them a noisy estimate would make the steps wild.
const ELASTICITY: (f64, f64) = (0.25, 2.0);

impl Governor {
    /// A governor holding frames under `budget_ms` of GPU time, moving γ from the base
    /// selection's γ (its floor) up to [`MAX_GAMMA`], within the base's level range.
    pub fn new(budget_ms: f64, base: Selection) -> Governor {
        let min_gamma = base.gamma;
        Governor {
            budget_ms,
            base,
            min_gamma,
            max_gamma: MAX_GAMMA.max(min_gamma),
            gamma: min_gamma,
            since: 0,
            last_measured: 0,
            last_ms: 0.0,
            previous_gamma: None,
            elasticity: 1.0,
            ceiling: MAX_GAMMA.max(min_gamma),
            ceiling_found: 0,
            ceiling_load: f64::INFINITY,
        }
    }

    pub fn budget_ms(&self) -> f64 {
        self.budget_ms
    }

    /// The selection for the frames from now on.
    pub fn selection(&self) -> Selection {
        Selection { gamma: self.gamma, ..self.base }
    }

    /// Feeds the GPU time of finished frame `frame` (frames count from 1, in submission
    /// order); `next` is the frame about to be made. Returns the selection for it.
    pub fn update(&mut self, measured: Option<(u64, f64)>, next: u64) -> Selection {
        let Some((frame, ms)) = measured else { return self.selection() };
        if frame <= self.last_measured || frame < self.since || !ms.is_finite() || ms <= 0.0 {
            return self.selection();
        }
        let previous_ms = self.last_ms;
        self.last_measured = frame;
        self.last_ms = ms;
        if let Some(previous) = self.previous_gamma.take() {
            let moved = (self.gamma as f64 / previous as f64).ln();
            let observed = (previous_ms / ms).ln() / moved;
            if moved > 0.1 && (observed.is_nan() || observed <= MIN_GAIN) {
                // Coarser did not make frames cheaper: back to the finer image, and no higher
                // for a while.
                (self.ceiling, self.ceiling_found, self.ceiling_load) = (previous, frame, ms);
                self.gamma = previous;
                self.since = next;
                return self.selection();
            }
            if moved.abs() > 0.1 && observed.is_finite() {
                self.elasticity = (0.5 * (self.elasticity + observed)).clamp(ELASTICITY.0, ELASTICITY.1);
            }
        }
        let load = ms / self.budget_ms;
        // A ceiling holds for a while, and only while the load is what it was.
        if load < LOW || frame >= self.ceiling_found + CEILING_FRAMES || ms > 1.5 * self.ceiling_load {
            self.ceiling = self.max_gamma;
        }
        let step = if load > HIGH {
            (load / AIM).powf(1.0 / self.elasticity).min(MAX_STEP)
        } else if load < LOW {
            (load / AIM).powf(RECOVERY_GAIN / self.elasticity)
        } else {
            1.0
        };
        let top = self.ceiling.min(self.max_gamma).max(self.min_gamma);
        let gamma = (self.gamma as f64 * step).clamp(self.min_gamma as f64, top as f64) as f32;
        if gamma != self.gamma {
            self.previous_gamma = Some(self.gamma);
            self.gamma = gamma;
            self.since = next;
        }
        self.selection()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A renderer's cost: fixed work plus work that falls with γ as coarser levels take over,
    /// scaled by a load that spikes; measured `delay` frames late, with ±3% noise.
    struct Sim {
        fixed: f64,
        detail: f64,
        elasticity: f64,
        delay: usize,
        /// Fill that grows with γ as coarse splats get larger on screen: `fill·γ^0.6`.
        fill: f64,
    }

    impl Sim {
        fn cost(&self, gamma: f32, load: f64, frame: u64) -> f64 {
            let noise = 1.0 + 0.03 * ((frame as f64 * 12.9898).sin() * 43758.5453).fract();
            let g = gamma as f64;
            load * (self.fixed + self.detail * g.powf(-self.elasticity) + self.fill * g.powf(0.6)) * noise
        }

        /// Runs `loads.len()` frames; returns (γ, cost) per frame.
        fn run(&self, g: &mut Governor, loads: &[f64]) -> Vec<(f32, f64)> {
            let mut out: Vec<(f32, f64)> = Vec::new();
            for (i, &load) in loads.iter().enumerate() {
                let frame = i as u64 + 1;
                let measured = (frame > self.delay as u64 + 1).then(|| {
                    let f = frame - 1 - self.delay as u64;
                    (f, out[f as usize - 1].1)
                });
                let gamma = g.update(measured, frame).gamma;
                out.push((gamma, self.cost(gamma, load, frame)));
            }
            out
        }
    }

    fn direction_changes(gammas: &[f32]) -> usize {
        let steps: Vec<f32> = gammas.windows(2).map(|w| w[1] - w[0]).filter(|d| *d != 0.0).collect();
        steps.windows(2).filter(|w| w[0].signum() != w[1].signum()).count()
    }

    #[test]
    fn holds_the_budget_through_a_spike_and_recovers_detail() {
        let budget = 11.1;
        for (elasticity, delay) in [(1.0, 2), (0.5, 1), (1.5, 3)] {
            let sim = Sim { fixed: 2.0, detail: 14.0, elasticity, delay, fill: 0.0 };
            let mut g = Governor::new(budget, Selection::default());
            // Calm, a 2.5x spike for 150 frames, calm again.
            let loads: Vec<f64> = (0..600).map(|i| if (200..350).contains(&i) { 2.5 } else { 1.0 }).collect();
            let trace = sim.run(&mut g, &loads);
            let over = |range: std::ops::Range<usize>| trace[range].iter().filter(|f| f.1 > budget).count();
            // Converges from the start within a few frames and holds.
            assert!(over(10..200) == 0, "e={elasticity}: {} frames over before the spike", over(10..200));
            // Reacts to the spike within a few frames (the delay plus one or two steps).
            assert!(over(200..350) <= 3 + 2 * delay, "e={elasticity}: {} frames over in the spike", over(200..350));
            assert!(over(215..350) == 0);
            // No oscillation in steady state: γ settles and stays.
            for range in [100..200, 280..350, 500..600] {
                let g: Vec<f32> = trace[range.clone()].iter().map(|f| f.0).collect();
                assert!(direction_changes(&g) <= 1, "e={elasticity} {range:?}: {g:?}");
            }
            // Detail comes back once the load drops, until the frame time is in the band again.
            let calm = trace[199].0;
            assert!(trace[320].0 > 1.5 * calm);
            assert!(trace[599].0 < 0.7 * trace[320].0, "e={elasticity}: {} vs {}", trace[599].0, trace[320].0);
            let settled = trace[599].1 / budget;
            assert!((LOW - 0.04..=HIGH).contains(&settled), "e={elasticity}: settled at {settled} of the budget");
        }
    }

    #[test]
    fn follows_a_load_that_grows_frame_by_frame() {
        // A scene getting busy over 60 frames (to 3x) and calm again: the growth between a
        // raise and its measurement must not read as "coarser did not help".
        let sim = Sim { fixed: 1.0, detail: 15.0, elasticity: 0.7, delay: 2, fill: 0.0 };
        let mut g = Governor::new(11.1, Selection::default());
        let loads: Vec<f64> = (0..400)
            .map(|i| match i {
                100..160 => 1.0 + 2.0 * (i - 100) as f64 / 60.0,
                160..220 => 3.0,
                220..280 => 3.0 - 2.0 * (i - 220) as f64 / 60.0,
                _ => 1.0,
            })
            .collect();
        let trace = sim.run(&mut g, &loads);
        let over = trace[100..280].iter().filter(|f| f.1 > 11.1).count();
        assert!(over <= 12, "{over} of 180 frames over the budget while the load grew");
        assert!(trace[200].0 > 2.0, "{:?}", trace[200]);
    }

    #[test]
    fn stays_within_its_bounds() {
        let base = Selection { gamma: 2.0, ..Selection::default() };
        // Hopeless: even the coarsest costs more than the budget. γ rises while that still
        // pays (to within the cost's floor of 20 ms) and never leaves its bounds.
        let sim = Sim { fixed: 20.0, detail: 5.0, elasticity: 1.0, delay: 2, fill: 0.0 };
        let mut g = Governor::new(11.1, base);
        let trace = sim.run(&mut g, &[1.0; 300]);
        assert!(trace.iter().all(|f| (2.0..=MAX_GAMMA).contains(&f.0)));
        assert!(trace[250..].iter().all(|f| f.1 < 1.06 * 20.6), "{:?}", &trace[250..]);
        // With no floor to the cost it goes all the way.
        let sim = Sim { fixed: 0.0, detail: 500.0, elasticity: 1.0, delay: 2, fill: 0.0 };
        let mut g = Governor::new(0.01, base);
        assert_eq!(sim.run(&mut g, &[1.0; 100])[99].0, MAX_GAMMA);
        // Idle: γ never drops below the base's.
        let sim = Sim { fixed: 0.5, detail: 0.5, elasticity: 1.0, delay: 2, fill: 0.0 };
        let mut g = Governor::new(11.1, base);
        assert!(sim.run(&mut g, &[1.0; 100]).iter().all(|f| f.0 == 2.0));
        // The level range is the base's.
        let base = Selection { finest: 1, coarsest: 3, gamma: 1.0 };
        let s = Governor::new(5.0, base).update(Some((1, 50.0)), 2);
        assert_eq!((s.finest, s.coarsest), (1, 3));
        assert!(s.gamma > 1.0);
    }

    #[test]
    fn does_not_coarsen_past_where_it_stops_helping() {
        // Coarse splats cost fill: the cost is least near γ = 10 and rises beyond. Under a
        // 2.5x spike no γ meets the budget; the governor must stay near the cheapest γ, not
        // run to the ceiling where frames cost several times more.
        let sim = Sim { fixed: 2.0, detail: 14.0, elasticity: 1.0, delay: 2, fill: 0.6 };
        let cheapest = (1..2000).map(|g| sim.cost(g as f32 * 0.05, 2.5, 0) / 1.03).fold(f64::INFINITY, f64::min);
        let mut g = Governor::new(11.1, Selection::default());
        let loads: Vec<f64> = (0..600).map(|i| if (200..400).contains(&i) { 2.5 } else { 1.0 }).collect();
        let trace = sim.run(&mut g, &loads);
        // A probe may overshoot by one step; it comes back.
        let high = trace.iter().filter(|f| f.0 > 40.0).count();
        assert!(high <= trace.len() / 20, "γ above 40 for {high} frames");
        let spike: Vec<f64> = trace[220..400].iter().map(|f| f.1).collect();
        let mean = spike.iter().sum::<f64>() / spike.len() as f64;
        assert!(mean < 1.25 * cheapest, "mean {mean:.2} ms in the spike, the cheapest γ gives {cheapest:.2}");
        assert!(trace[150..200].iter().all(|f| f.1 <= 11.1) && trace[560..].iter().all(|f| f.1 <= 11.1));

        // Sparse: coarser only ever costs more. γ stays at its floor.
        let sim = Sim { fixed: 14.0, detail: 0.0, elasticity: 1.0, delay: 2, fill: 2.0 };
        let mut g = Governor::new(11.1, Selection::default());
        let trace = sim.run(&mut g, &[1.0; 400]);
        let raised = trace.iter().filter(|f| f.0 > 1.0).count();
        assert!(raised <= 4 * 400 / CEILING_FRAMES as usize, "{raised} frames above γ 1");
        assert_eq!(trace[399].0, 1.0);
    }

    #[test]
    fn ignores_stale_and_bad_measurements() {
        let mut g = Governor::new(10.0, Selection::default());
        let s = g.update(Some((3, 30.0)), 5);
        assert!(s.gamma > 1.0);
        // Frames 3 and 4 were made before the change: no second correction from them.
        assert_eq!(g.update(Some((4, 30.0)), 6), s);
        assert_eq!(g.update(Some((4, 30.0)), 6), s);
        assert_eq!(g.update(Some((6, f64::NAN)), 7), s);
        assert_eq!(g.update(None, 7), s);
        // The first frame with the new γ: cheaper, still over, so γ rises again.
        assert!(g.update(Some((5, 20.0)), 8).gamma > s.gamma);
    }
}
