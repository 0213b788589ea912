//! Getting an asset from what the user named: open an .s4d, or import and pack a source.

use std::path::Path;

use splat4d::asset::format::MAGIC;
use splat4d::import::{import_paths, ImportOptions};
use splat4d::pack::{pack, PackOptions};
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

fn pack_splats(splats: &Splats, source: &SourceArgs, full_precision: bool) -> CliResult<Vec<u8>> {
    let options = PackOptions { segment_frames: source.segment_frames, full_precision };
    let progress = PackBar::new();
    let bytes = pack(splats, &options, &progress);
    progress.finish();
    Ok(bytes?)
}

pub fn pack_command(args: &PackArgs) -> CliResult {
    let splats = import(&args.inputs, &args.source)?;
    let bytes = pack_splats(&splats, &args.source, args.full_precision)?;
    std::fs::write(&args.output, &bytes).map_err(|e| format!("{}: {e}", args.output.display()))?;
    let asset = Asset::from_bytes(&bytes, Verify::Full)?;
    log::info!(
        "wrote {} ({} bytes): {} primitives, {} segments",
        args.output.display(),
        bytes.len(),
        asset.len(),
        asset.segments().len()
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
    let bytes = pack_splats(&splats, source, false)?;
    Ok(Asset::from_bytes(&bytes, Verify::Full)?)
}
