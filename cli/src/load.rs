//! Getting an asset from what the user named: open an .s4d, or import and pack a source.

use std::io::Read;
use std::path::Path;

use splat4d::asset::format::MAGIC;
use splat4d::fs::open_regular;
use splat4d::import::{import_paths, ImportOptions};
use splat4d::lod;
use splat4d::pack::{pack, pack_levels_to, pack_to, write_asset, PackOptions};
use splat4d::splats::Precision;
use splat4d::{Asset, Splats, Verify};

use crate::progress::PackBar;
use crate::{PackArgs, SourceArgs};

pub type CliResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

fn import(inputs: &[std::path::PathBuf], source: &SourceArgs, precision: Precision) -> CliResult<Splats> {
    let options = ImportOptions {
        time_range: source.time_range,
        frame_rate: source.fps,
        precision,
        antialiased: source.antialiased,
    };
    let splats = import_paths(inputs, &options)?;
    let report = &splats.report;
    log::info!("imported {} primitives from {}", splats.len(), report.source);
    for (reason, count) in &report.dropped {
        log::warn!("dropped {count} of {} records: {reason}", report.read);
    }
    for (what, count) in &report.adjusted {
        log::info!("{count} of {} records: {what}", report.read);
    }
    for note in &report.notes {
        log::info!("{note}");
    }
    Ok(splats)
}

/// Imports the input (and any trained levels) and packs it into `args.output`: written beside
/// it, read back and verified from the file, and only then renamed over it, so that a failed
/// pack leaves no file and an older file of that name untouched.
pub fn pack_command(args: &PackArgs) -> CliResult {
    // Held as the pack stores them: the memory of the asset, not of its source.
    let precision = if args.full_precision { Precision::Full } else { Precision::Compact };
    let splats = import(&args.inputs, &args.source, precision)?;
    let options = PackOptions {
        segment_frames: args.source.segment_frames,
        full_precision: args.full_precision,
        levels: args.levels,
        lod_lambda: args.lod_lambda,
        lod_rho: args.lod_rho,
    };
    let levels = if args.level_ply.is_empty() { Vec::new() } else { trained_levels(args, precision)? };
    let progress = PackBar::new();
    let name = args.output.as_path();
    let written = write_asset(name, |file| {
        if levels.is_empty() {
            pack_to(&splats, &options, &progress, file, name)
        } else {
            let all: Vec<&Splats> = std::iter::once(&splats).chain(&levels).collect();
            let lambda = args.lod_lambda.unwrap_or(lod::FLOD_LAMBDA);
            let floors = lod::floors(all.len(), lambda, args.lod_rho);
            pack_levels_to(&all, &floors, &options, &progress, file, name)
        }
    });
    progress.finish();
    let (size, asset) = written?;
    log::info!(
        "wrote {} ({size} bytes): {} primitives, {} segments, {} levels",
        name.display(),
        asset.len(),
        asset.segments().len(),
        asset.levels().len()
    );
    Ok(())
}

/// The trained coarser levels of `--level-ply`, in order.
fn trained_levels(args: &PackArgs, precision: Precision) -> CliResult<Vec<Splats>> {
    let mut given = args.level_ply.clone();
    given.sort_by_key(|g| g.0);
    if given.iter().enumerate().any(|(i, g)| g.0 as usize != i + 1) {
        let named: Vec<u32> = given.iter().map(|g| g.0).collect();
        return Err(format!("--level-ply names levels {named:?}: give each of 1..={} once", given.len()).into());
    }
    let mut levels = vec![];
    for (level, path) in &given {
        let splats = import(std::slice::from_ref(path), &args.source, precision)?;
        log::info!("level {level}: {} primitives from {}", splats.len(), path.display());
        levels.push(splats);
    }
    Ok(levels)
}

/// Opens an .s4d asset (a file, or an http:// or https:// URL read by range requests), or
/// imports and packs any other source in memory.
pub fn open(path: &Path, source: &SourceArgs) -> CliResult<Asset> {
    let name = path.to_string_lossy();
    if name.starts_with("http://") || name.starts_with("https://") {
        let asset = Asset::open_url(&name, splat4d::asset::http::HttpOptions::default(), Verify::Full)?;
        return Ok(asset);
    }
    if path.is_file() {
        let mut magic = [0u8; 8];
        let got = open_regular(path)?.read(&mut magic).map_err(|e| format!("{}: {e}", path.display()))?;
        if got == magic.len() && magic == MAGIC {
            return Ok(Asset::open(path, Verify::Full)?);
        }
    }
    let splats = import(&[path.to_path_buf()], source, Precision::Compact)?;
    let options = PackOptions { segment_frames: source.segment_frames, ..Default::default() };
    let progress = PackBar::new();
    let bytes = pack(&splats, &options, &progress);
    progress.finish();
    drop(splats);
    Ok(Asset::from_bytes(&bytes?, Verify::Full)?)
}
