//! Holding one image to another: PSNR, coverage, and the floor for a GPU image against the
//! CPU reference. Shared by the runtime's and the CLI's tests, so it uses nothing but std.

/// PSNR in dB of the RGB channels of two 8-bit images whose pixels are `channels` bytes apart
/// (3 for RGB, 4 for RGBA; alpha is not compared). Identical images give infinity.
pub fn psnr(a: &[u8], b: &[u8], channels: usize) -> f64 {
    assert_eq!(a.len(), b.len(), "images differ in size");
    let (mut sum, mut n) = (0.0f64, 0usize);
    for (p, q) in a.chunks_exact(channels).zip(b.chunks_exact(channels)) {
        for c in 0..3 {
            sum += (p[c] as f64 - q[c] as f64).powi(2);
            n += 1;
        }
    }
    if sum == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0f64.powi(2) * n as f64 / sum).log10()
    }
}

/// The floor for a GPU image against the CPU reference at the same camera and time, for every
/// device. Measured on lavapipe (Mesa 25.0, LLVM 19, 256-bit): worst 51.8 dB over gpu_render's
/// 110 images, 49.0 dB over gpu_lod's levels and γ, 56.3 dB for gpu_frames' 2 M primitives;
/// not yet measured on a GPU (scripts/gpu-check.sh prints each test's worst figure there).
/// A GPU evaluates exp, rsqrt and the blend in its own rounding, and appends splats of equal
/// depth in the order its threads ran (slice.comp's atomic append; the reference breaks such
/// ties by index). One step of 8-bit rounding in every channel of every pixel is 48.1 dB, so
/// 45 dB allows that and a few pixels further off, while an image missing a splat here and
/// there scores below it, and [`check_image`] asserts that a blank image would.
pub const REFERENCE_DB: f64 = 45.0;

/// Pixels of an image (pixels `channels` bytes apart, RGB compared) whose colour is more than
/// `steps` 8-bit steps from `background` in some channel.
pub fn lit(image: &[u8], channels: usize, background: [u8; 3], steps: u8) -> usize {
    image.chunks_exact(channels).filter(|p| (0..3).any(|c| p[c].abs_diff(background[c]) > steps)).count()
}

/// Holds `image` to `reference`: at least `min_db`, and covering what the reference covers.
/// Coverage is compared with hysteresis so that rounding never counts: a pixel is missing
/// where the reference is more than 8 steps from the background and the image within 2, and
/// extra the other way round; each may be at most 0.5 % of the reference's lit pixels. The
/// reference must show something (8 lit pixels: a rocket before its burst shows about 20 of
/// 20,000, and a frame that already shows the burst must fail there), and a blank image must
/// score below `min_db` here, or the case could not tell a blank frame from a right one.
/// Returns the PSNR, or a message saying what is wrong.
pub fn check_image(
    image: &[u8],
    reference: &[u8],
    channels: usize,
    background: [u8; 3],
    min_db: f64,
) -> Result<f64, String> {
    assert_eq!(image.len(), reference.len(), "images differ in size");
    let pixels = reference.len() / channels;
    let shown = lit(reference, channels, background, 8);
    if shown < 8 {
        return Err(format!(
            "the reference shows almost nothing ({shown} of {pixels} pixels lit): the case tests nothing"
        ));
    }
    let blank: Vec<u8> = reference
        .chunks_exact(channels)
        .flat_map(|p| (0..channels).map(move |c| if c < 3 { background[c] } else { p[c] }))
        .collect();
    let blank_db = psnr(&blank, reference, channels);
    if blank_db >= min_db {
        return Err(format!("a blank image scores {blank_db:.2} dB here, above the {min_db} dB floor"));
    }
    let (mut missing, mut extra) = (0usize, 0usize);
    for (p, q) in image.chunks_exact(channels).zip(reference.chunks_exact(channels)) {
        let far = |x: &[u8], steps: u8| (0..3).any(|c| x[c].abs_diff(background[c]) > steps);
        missing += usize::from(far(q, 8) && !far(p, 2));
        extra += usize::from(far(p, 8) && !far(q, 2));
    }
    let db = psnr(image, reference, channels);
    let mut wrong = Vec::new();
    if db < min_db {
        wrong.push(format!("{db:.2} dB < {min_db} dB"));
    }
    if missing * 200 > shown {
        wrong.push(format!("{missing} of the reference's {shown} lit pixels are background"));
    }
    if extra * 200 > shown {
        wrong.push(format!("{extra} pixels lit where the reference shows background (of {shown} lit)"));
    }
    if wrong.is_empty() {
        Ok(db)
    } else {
        Err(wrong.join(", "))
    }
}
