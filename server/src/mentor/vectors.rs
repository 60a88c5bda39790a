//! Each occupation as a MiniLM vector (`server/onet/vectors.bin`), so a
//! person's words find roles by meaning as well as by shared words: "keep
//! the books for a small business" is bookkeeping, not binding books. The
//! vectors embed the title, the first alternate titles and the description
//! ([`occupation_text`]), and are computed ahead by `server onet-vectors`
//! (run by `cargo xtask onet`) rather than at start-up, which would cost
//! seconds of CPU per process. Stored as int8 with one scale per vector:
//! 390 KB instead of 1.5 MB, cosines within 0.01 of the float ones.

use super::onet::{OccupationId, Onet};
use crate::knowledge::embed::{MiniLm, MINILM_DIMENSION as DIMENSION};

const FILE: &[u8] = include_bytes!("../../onet/vectors.bin");
const MAGIC: &[u8; 8] = b"LSONET1\n";
/// Alternate titles that go into an occupation's text: the first are the
/// commonest names, and more would crowd out the description.
const TITLES_IN_TEXT: usize = 10;

/// The argument that makes the server binary write the vectors and exit.
pub const WRITE_ARG: &str = "onet-vectors";

pub struct OccupationVectors {
    /// Row-major, `DIMENSION` per occupation, and each row's scale.
    values: Vec<i8>,
    scales: Vec<f32>,
}

/// What MiniLM reads for an occupation.
pub fn occupation_text(onet: &Onet, id: OccupationId) -> String {
    let occupation = onet.occupation(id);
    let titles: Vec<&str> = occupation.titles.iter().take(TITLES_IN_TEXT).map(|t| &**t).collect();
    format!("{}. Also called {}. {}", occupation.title, titles.join(", "), occupation.description)
}

impl OccupationVectors {
    /// The committed vectors, checked against the dataset they were made from.
    pub fn load(onet: &Onet) -> Result<Self, String> {
        let rest =
            FILE.strip_prefix(MAGIC.as_slice()).ok_or("server/onet/vectors.bin is not an occupation vector file")?;
        let row = 4 + DIMENSION;
        if rest.len() != row * onet.occupations().len() {
            return Err(format!(
                "server/onet/vectors.bin holds {} bytes, not {} occupations of {DIMENSION} values: run `cargo xtask onet`",
                rest.len(),
                onet.occupations().len()
            ));
        }
        let mut values = Vec::with_capacity(DIMENSION * onet.occupations().len());
        let mut scales = Vec::with_capacity(onet.occupations().len());
        for chunk in rest.chunks_exact(row) {
            scales.push(f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]));
            values.extend(chunk[4..].iter().map(|b| *b as i8));
        }
        Ok(OccupationVectors { values, scales })
    }

    /// Cosine between a unit `query` and every occupation, in order.
    pub fn similarities(&self, query: &[f32]) -> Vec<f32> {
        self.values
            .chunks_exact(DIMENSION)
            .zip(&self.scales)
            .map(|(row, scale)| row.iter().zip(query).map(|(v, q)| f32::from(*v) * q).sum::<f32>() * scale)
            .collect()
    }
}

/// The file's bytes: every occupation's text embedded by `model`.
pub fn build(onet: &Onet, model: &MiniLm) -> Vec<u8> {
    let texts: Vec<String> =
        (0..onet.occupations().len()).map(|i| occupation_text(onet, OccupationId(i as u16))).collect();
    let mut out = MAGIC.to_vec();
    for vector in model.embed(&texts) {
        let largest = vector.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(f32::MIN_POSITIVE);
        let scale = largest / 127.0;
        out.extend(scale.to_le_bytes());
        out.extend(vector.iter().map(|v| (v / scale).round().clamp(-127.0, 127.0) as i8 as u8));
    }
    out
}

/// `server onet-vectors OUT`: writes the vectors with the model in
/// `MODEL_DIR` (default `data/models/all-MiniLM-L6-v2`).
pub fn write(out: &std::path::Path) -> Result<(), String> {
    let onet = Onet::get().map_err(|e| e.to_string())?;
    let dir =
        std::env::var_os("MODEL_DIR").map_or_else(|| "data/models/all-MiniLM-L6-v2".into(), std::path::PathBuf::from);
    let model = MiniLm::load(&dir)?;
    std::fs::write(out, build(onet, &model)).map_err(|e| format!("writing {}: {e}", out.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_vectors_are_this_datasets_and_this_models() {
        let onet = Onet::get().unwrap();
        let vectors = OccupationVectors::load(onet).unwrap();
        for code in ["11-1011.00", "15-1254.00", "53-3032.00"] {
            let id = onet.find(code).unwrap();
            let fresh = crate::mentor::test_model().embed(&[occupation_text(onet, id)]).remove(0);
            let cosine = vectors.similarities(&fresh)[usize::from(id.0)];
            assert!(cosine > 0.99, "{code}: {cosine}: rebuild with `cargo xtask onet`");
        }
    }
}
