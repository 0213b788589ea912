//! Getting an asset from what the user named: open an .s4d, or import and pack a source.

use std::path::Path;

use splat4d::asset::format::MAGIC;
use splat4d::import::{import_paths, ImportOptions};
use splat4d::lod;
use splat4d::pack::{pack, pack_levels, PackOptions};
use splat4d::{Asset, Splats, Verify};

use crate::progress::PackBar;
use crate::{PackArgs, SourceArgs};

pub type CliResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

fn import(inputs: &[std::path::PathBuf], source: &SourceArgs) -> CliResult<Splats> {
    let options = ImportOptions { time_range: source.time_range, frame_rate: source.fps };
    let splats = import_paths(inputs, &options)?;
    let report = &splats.report;
    log::info!("imported {} primitives from {}", splats.len(), report.source);
    for (reason, count) in &report.dropped {
        log::warn!("dropped {count} of {} records: {reason}", report.read);
    }
    for note in &report.notes {
        log::info!("{note}");
    }
    Ok(splats)
}

fn pack_splats(splats: &Splats, options: &PackOptions) -> CliResult<Vec<u8>> {
    let progress = PackBar::new();
    let bytes = pack(splats, options, &progress);
    progress.finish();
    Ok(bytes?)
}

/// Packs the input with trained coarser levels from `--level-ply`, as they are.
fn pack_trained_levels(finest: &Splats, args: &PackArgs, options: &PackOptions) -> CliResult<Vec<u8>> {
    let mut given = args.level_ply.clone();
    given.sort_by_key(|g| g.0);
    if given.iter().enumerate().any(|(i, g)| g.0 as usize != i + 1) {
        let named: Vec<u32> = given.iter().map(|g| g.0).collect();
        return Err(format!("--level-ply names levels {named:?}: give each of 1..={} once", given.len()).into());
    }
    let mut levels = vec![];
    for (level, path) in &given {
        let splats = import(std::slice::from_ref(path), &args.source)?;
        log::info!("level {level}: {} primitives from {}", splats.len(), path.display());
        levels.push(splats);
    }
    let all: Vec<&Splats> = std::iter::once(finest).chain(&levels).collect();
    let lambda = args.lod_lambda.unwrap_or(lod::FLOD_LAMBDA);
    let floors = lod::floors(all.len(), lambda, args.lod_rho);
    let progress = PackBar::new();
    let bytes = pack_levels(&all, &floors, options, &progress);
    progress.finish();
    Ok(bytes?)
}

pub fn pack_command(args: &PackArgs) -> CliResult {
    let splats = import(&args.inputs, &args.source)?;
    let options = PackOptions {
        segment_frames: args.source.segment_frames,
        full_precision: args.full_precision,
        levels: args.levels,
        lod_lambda: args.lod_lambda,
        lod_rho: args.lod_rho,
    };
    let bytes = if args.level_ply.is_empty() {
        pack_splats(&splats, &options)?
    } else {
        pack_trained_levels(&splats, args, &options)?
    };
    std::fs::write(&args.output, &bytes).map_err(|e| format!("{}: {e}", args.output.display()))?;
    let asset = Asset::from_bytes(&bytes, Verify::Full)?;
    log::info!(
        "wrote {} ({} bytes): {} primitives, {} segments, {} levels",
        args.output.display(),
        bytes.len(),
        asset.len(),
        asset.segments().len(),
        asset.levels().len()
    );
    Ok(())
}

/// Opens an .s4d asset, or imports and packs any other source in memory.
pub fn open(path: &Path, source: &SourceArgs) -> CliResult<Asset> {
    let mut magic = [0u8; 8];
    let is_s4d = path.is_file()
        && std::fs::File::open(path).and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic)).is_ok()
        && magic == MAGIC;
    if is_s4d {
        return Ok(Asset::open(path, Verify::Full)?);
    }
    let splats = import(&[path.to_path_buf()], source)?;
    let options = PackOptions { segment_frames: source.segment_frames, ..Default::default() };
    let bytes = pack_splats(&splats, &options)?;
    Ok(Asset::from_bytes(&bytes, Verify::Full)?)
}
