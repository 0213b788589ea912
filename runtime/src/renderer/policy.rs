//! What a frame draws besides its views: the levels of detail (set, or moved by the governor),
//! active sets, and, streaming, the check that every segment at those levels fits the GPU
//! memory budget, so that no frame can need more pages than the budget holds.

use super::resident::{Resident, PAGE};
use super::{Renderer, NEAR};
use crate::asset::format::RunRecord;
use crate::camera::Camera;
use crate::error::{Error, Result};
use crate::lod::{self, Governor, Selection};

/// What frames draw beyond the target: levels of detail, a frame budget, active sets. Set with
/// [`Renderer::set_policy`]; it holds until changed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FramePolicy {
    /// Which levels of detail are drawn where; with a budget, the governor's base.
    pub lod: Selection,
    /// Hold every frame's GPU time under this (milliseconds) by coarsening the levels of
    /// detail; needs `stats`.
    pub frame_budget_ms: Option<f64>,
    /// Go over the segment's active runs only (4DGS-1K's active sets). Off, every primitive is
    /// gone over each frame: the same image, for comparison.
    pub active_sets: bool,
}

impl Default for FramePolicy {
    fn default() -> Self {
        FramePolicy { lod: Selection::default(), frame_budget_ms: None, active_sets: true }
    }
}

impl Renderer {
    /// The primitives of `segment` (every primitive for `None`, or without active sets) in
    /// the levels `finest..=coarsest`: (first, end, level), cut at the levels' bounds.
    pub(super) fn pieces(&self, segment: Option<usize>, finest: u32, coarsest: u32) -> Vec<(u32, u32, u32)> {
        self.pieces_with(segment, finest, coarsest, self.active_sets)
    }

    fn pieces_with(
        &self,
        segment: Option<usize>,
        finest: u32,
        coarsest: u32,
        active_sets: bool,
    ) -> Vec<(u32, u32, u32)> {
        let whole = [RunRecord { first: 0, count: self.primitives }];
        let runs: &[RunRecord] = match segment {
            Some(s) if active_sets => &self.segments[s].1,
            _ => &whole,
        };
        let mut pieces = Vec::with_capacity(runs.len());
        for r in runs {
            for level in finest..=coarsest {
                let (first, end) = self.levels[level as usize];
                let (lo, hi) = (r.first.max(first), (r.first + r.count).min(end));
                if lo < hi {
                    pieces.push((lo, hi, level));
                }
            }
        }
        pieces
    }

    /// The levels a frame at `eyes` may draw: the selection's range, less the finest levels
    /// whose bands end before the near plane for every eye (nothing of them could be drawn,
    /// and the next level reaching down to the eye draws exactly the same).
    pub(super) fn level_range(&self, eyes: &[Camera]) -> (u32, u32) {
        let focal = eyes.iter().map(lod::focal).fold(0.0, f32::max);
        let (mut finest, coarsest) = (self.lod.finest, self.lod.coarsest);
        while finest < coarsest && focal * self.floors[finest as usize + 1] / self.lod.gamma < NEAR {
            finest += 1;
        }
        (finest, coarsest)
    }

    /// Levels of detail in the asset.
    pub fn level_count(&self) -> usize {
        self.levels.len()
    }

    /// The levels of detail the next frame draws (the governor's latest, with a budget).
    pub fn lod(&self) -> Selection {
        self.lod
    }

    /// Sets which levels of detail are drawn where, from the next frame on. Without a frame
    /// budget this holds until changed; with one, the selection is the governor's base: its
    /// levels and its lowest γ.
    pub fn set_lod(&mut self, selection: Selection) -> Result<()> {
        let selection = selection.for_levels(self.levels.len())?;
        self.check_budget(selection, self.active_sets)?;
        self.lod = selection;
        if let Some(g) = &self.governor {
            self.governor = Some(Governor::new(g.budget_ms(), self.lod));
        }
        Ok(())
    }

    /// Holds every frame's GPU time under `budget_ms` by moving γ (see [`lod::governor`]);
    /// `None` stops governing and keeps the current selection. Needs `stats` on.
    pub fn set_frame_budget(&mut self, budget_ms: Option<f64>) -> Result<()> {
        match budget_ms {
            Some(b) if !(b.is_finite() && b > 0.0) => {
                Err(Error::InvalidArgument(format!("frame budget {b} ms is not a positive number")))
            }
            Some(_) if !self.options.stats => {
                Err(Error::InvalidArgument("a frame budget needs the GPU times: stats are off".into()))
            }
            Some(b) => {
                self.governor = Some(Governor::new(b, self.lod));
                Ok(())
            }
            None => {
                self.governor = None;
                Ok(())
            }
        }
    }

    /// With `false`, frames go over every primitive instead of their segment's active runs
    /// (the same image, for comparing what active sets save). Streaming, every primitive of
    /// the levels drawn must then fit the budget.
    pub fn set_active_sets(&mut self, on: bool) -> Result<()> {
        self.check_budget(self.lod, on)?;
        self.active_sets = on;
        Ok(())
    }

    /// Streaming: fails unless the pages of every segment's primitives in the levels that
    /// `lod` draws (of every primitive, without active sets) fit the budget's slots, so that
    /// no frame in the time range can need more than the GPU holds.
    fn check_budget(&self, lod: Selection, active_sets: bool) -> Result<()> {
        if !self.resident.is_streaming() {
            return Ok(());
        }
        let segments: Vec<Option<usize>> =
            if active_sets { (0..self.segments.len()).map(Some).collect() } else { vec![None] };
        let (needed, at) = segments
            .into_iter()
            .map(|s| (Resident::pages_of(&self.pieces_with(s, lod.finest, lod.coarsest, active_sets)).len(), s))
            .max_by_key(|&(n, _)| n)
            .unwrap_or((0, None));
        let slots = self.resident.slot_count();
        if needed > slots {
            let which = match at {
                Some(s) => format!("segment {s} needs"),
                None => "every primitive (without active sets) needs".into(),
            };
            return Err(Error::InvalidArgument(format!(
                "the GPU memory budget holds {slots} pages of {PAGE} primitives, but at levels {}..={} {which} \
                 {needed}: raise the budget or draw coarser levels",
                lod.finest, lod.coarsest
            )));
        }
        Ok(())
    }

    /// Sets the whole policy at once; on an error nothing changes.
    pub fn set_policy(&mut self, policy: &FramePolicy) -> Result<()> {
        let selection = policy.lod.for_levels(self.levels.len())?;
        self.check_budget(selection, policy.active_sets)?;
        let (lod, governor, active_sets) = (self.lod, self.governor.take(), self.active_sets);
        (self.lod, self.active_sets) = (selection, policy.active_sets);
        let result = self.set_frame_budget(policy.frame_budget_ms);
        if result.is_err() {
            (self.lod, self.governor, self.active_sets) = (lod, governor, active_sets);
        }
        result
    }
}
