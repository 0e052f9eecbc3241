//! `hemaflow label`: print an ISBT 128 base label (or a tube label) from given values, as SVG,
//! PNG, PDF or ZPL. Every value is a scan with its data identifier, checked at the option
//! that expects its structure.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args as ClapArgs, ValueEnum};
use hemaflow_labels::{self as labels, Label, LabelContent, LabelError, LabelRequest, ZplDpi};

use crate::Exit;

#[derive(ClapArgs)]
#[command(after_help = LABEL_HELP)]
pub struct Args {
    /// The DIN as scanned, with its flags (`=W12342512345600`), or keyed in with its check
    /// character (`W1234 25 123456 O`).
    #[arg(long)]
    din: String,
    /// The product code as scanned (`=<E0398V00`); with --database also its 8 characters.
    #[arg(long, required_unless_present = "tube")]
    product: Option<String>,
    /// The blood group (ABO/RhD) as scanned (`=%5100`).
    #[arg(long = "abo-rh", required_unless_present_any = ["tube", "database"])]
    abo_rh: Option<String>,
    /// The expiry date and time (`&>0253652359`) or date (`=>025365`) as scanned.
    #[arg(long, required_unless_present_any = ["tube", "database"])]
    expiry: Option<String>,
    /// A special testing structure as scanned (`&(N0001`, or 012/013/014).
    #[arg(long)]
    special: Option<String>,
    /// The product description to print; overrides the product catalogue.
    #[arg(long)]
    description: Option<String>,
    /// The volume in mL.
    #[arg(long, value_name = "ML")]
    volume: Option<u16>,
    /// The collection facility's name, printed above its FIN.
    #[arg(long = "facility-name", value_name = "TEXT")]
    facility_name: Option<String>,
    /// Print the small tube/segment label (DIN only) instead of the base label.
    #[arg(long, conflicts_with_all = ["product", "abo_rh", "expiry", "special", "description", "volume", "facility_name"])]
    tube: bool,
    /// Output format.
    #[arg(long, value_enum)]
    format: Format,
    /// Resolution: PNG 150-1200 dpi, ZPL 203 or 300 dpi (default 300 for both).
    #[arg(long, value_name = "N")]
    dpi: Option<u32>,
    /// The file to write (replaced whole, never left half-written); `-` writes to standard
    /// output (to pipe ZPL to a printer, for instance).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Svg,
    Png,
    Pdf,
    Zpl,
}

const LABEL_HELP: &str = "\
Each value is given as the scanner reads its barcode, data identifier included; a value of
the wrong structure (a product code at --abo-rh) is refused. The product description comes
from Hemaflow's product catalogue or from --description; a product code in neither is
refused, since the label must say what the product is.

The base label is 100 mm x 100 mm: DIN and collection facility (upper left), ABO/RhD and the
Data Matrix with all structures (upper right), product (lower left), expiry and special
testing (lower right). Code 128 symbols use a 0.254 mm module with 10-module quiet zones.

With --database, the label is the final label of a unit on record: the DIN and product code
name the unit (`W123426000001`, `D1000V00`, or as scanned), and everything else comes from
the record. A unit that is unsafe, discarded, expired, not yet typed twice (or, where the site
labels at release, not yet ready for release) is refused with the reason.

Exit status: 0 when the label was written, 2 when a value was not valid or the unit may not
be labelled, 1 when the file could not be written.

Examples:
  hemaflow label --din '=W12342512345600' --product '=<E0398V00' --abo-rh '=%5100' \\
      --expiry '&>0253652359' --volume 300 --format png --out label.png
  hemaflow label --din '=W12342512345600' --product '=<E0398V00' --abo-rh '=%5100' \\
      --expiry '&>0253652359' --format zpl --dpi 203 --out label.zpl
  hemaflow label --tube --din '=W12342512345607' --format svg --out tube.svg
  hemaflow label --database sqlite://hemaflow.db --din W123426000001 --product D2000V00 \\
      --format pdf --out unit.pdf";

/// A refusal of the given values: printed, and exit status 2.
struct Refusal(String);

/// With the global `--database`, the label is the final label of the unit on record.
pub fn run(args: Args, database: Option<&str>) -> anyhow::Result<Exit> {
    let bytes = match render(&args, database) {
        Ok(bytes) => bytes,
        Err(Refusal(message)) => {
            eprintln!("hemaflow label: {message}");
            return Ok(Exit::InvalidInput);
        }
    };
    if args.out.as_os_str() == "-" {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(&bytes)
            .and_then(|()| stdout.flush())
            .context("cannot write the label to standard output")?;
        return Ok(Exit::Success);
    }
    write_whole(&args.out, &bytes)
        .with_context(|| format!("cannot write the label to {}", args.out.display()))?;
    Ok(Exit::Success)
}

fn render(args: &Args, database: Option<&str>) -> Result<Vec<u8>, Refusal> {
    if database.is_some() && !args.tube {
        refuse_values_beside_the_record(args)?;
    }
    let label = if args.tube {
        let donation = labels::parse_donation(&args.din).map_err(refusal)?;
        Label::tube(&donation).map_err(refusal)?
    } else if let Some(database) = database {
        let product = args.product.as_deref().unwrap_or_default();
        let record = super::label_record::load(database, &args.din, product).map_err(Refusal)?;
        let request = LabelRequest {
            din: &record.din,
            product: &record.product,
            blood_group: &record.blood_group,
            expiry: &record.expiry,
            special_testing: None,
            description: Some(&record.description),
            volume_ml: args.volume,
            facility_name: args.facility_name.as_deref(),
        };
        let content = LabelContent::from_request(&request).map_err(refusal)?;
        Label::base(&content).map_err(refusal)?
    } else {
        let request = LabelRequest {
            din: &args.din,
            product: args.product.as_deref().unwrap_or_default(),
            blood_group: args.abo_rh.as_deref().unwrap_or_default(),
            expiry: args.expiry.as_deref().unwrap_or_default(),
            special_testing: args.special.as_deref(),
            description: args.description.as_deref(),
            volume_ml: args.volume,
            facility_name: args.facility_name.as_deref(),
        };
        let content = LabelContent::from_request(&request).map_err(refusal)?;
        Label::base(&content).map_err(refusal)?
    };
    match (args.format, args.dpi) {
        (Format::Svg, None) => Ok(labels::to_svg(&label).into_bytes()),
        (Format::Pdf, None) => labels::render_pdf(&label).map_err(refusal),
        (Format::Svg | Format::Pdf, Some(_)) => Err(Refusal(
            "--dpi applies to png and zpl only (SVG and PDF are vector formats)".to_owned(),
        )),
        (Format::Png, dpi) => {
            let dpi = dpi.unwrap_or(labels::DEFAULT_PNG_DPI);
            if !labels::PNG_DPI_RANGE.contains(&dpi) {
                return Err(Refusal(format!(
                    "--dpi {dpi}: PNG is rendered at {} to {} dpi",
                    labels::PNG_DPI_RANGE.start(),
                    labels::PNG_DPI_RANGE.end()
                )));
            }
            labels::render_png(&label, dpi).map_err(refusal)
        }
        (Format::Zpl, dpi) => {
            let dpi = dpi.unwrap_or(300);
            let head = ZplDpi::from_dpi(dpi).ok_or_else(|| {
                Refusal(format!(
                    "--dpi {dpi}: ZPL is written for 203 or 300 dpi printheads"
                ))
            })?;
            Ok(labels::to_zpl(&label, head).into_bytes())
        }
    }
}

/// Name the option a refused value came from.
fn refusal(error: LabelError) -> Refusal {
    let option = match &error {
        LabelError::Scan { field, .. } => match *field {
            "DIN" => "--din",
            "blood group" => "--abo-rh",
            "product code" => "--product",
            "expiry" => "--expiry",
            "special testing" => "--special",
            _ => "a value",
        },
        LabelError::UnknownProduct { .. } => "--product",
        LabelError::Description { .. } => "--description",
        LabelError::Volume { .. } => "--volume",
        LabelError::FacilityName { .. } => "--facility-name",
        LabelError::Symbol { .. } | LabelError::Render { .. } => "label",
    };
    Refusal(format!("{option}: {error}"))
}

/// Write to a temporary file beside the target and rename it into place, so that a reader
/// never sees a half-written label.
fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let directory = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "label".to_owned());
    let temporary = directory.join(format!(".{name}.{}.part", std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temporary, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

/// A label for a unit on record takes its values from the record only: values given beside
/// `--database` would silently disagree with it, so they are refused.
fn refuse_values_beside_the_record(args: &Args) -> Result<(), Refusal> {
    let given: Vec<&str> = [
        ("--abo-rh", args.abo_rh.is_some()),
        ("--expiry", args.expiry.is_some()),
        ("--special", args.special.is_some()),
        ("--description", args.description.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, present)| present.then_some(name))
    .collect();
    if given.is_empty() {
        return Ok(());
    }
    Err(Refusal(format!(
        "{} cannot be given with --database: the label of a unit on record takes its values from the record",
        given.join(", ")
    )))
}
