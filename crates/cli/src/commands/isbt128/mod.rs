//! `hemaflow isbt128`: parse scans into JSON, compute DIN check characters, and encode JSON
//! back into scans. Scripts and instruments depend on this interface: keep it stable.

mod encode;
mod json;

use std::io::{self, BufRead, Write};

use anyhow::Context;
use clap::{Args as ClapArgs, Subcommand};
use hemaflow_isbt128 as isbt128;

use crate::Exit;

#[derive(ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode scans into JSON, one object per scan.
    #[command(after_help = PARSE_HELP)]
    Parse {
        /// Scans as the scanner delivers them, data identifiers included (quote them: `=`
        /// `&` `<` `>` mean something to the shell).
        #[arg(required_unless_present = "stdin", conflicts_with = "stdin")]
        scans: Vec<String>,
        /// Read scans from standard input, one a line, instead of from the arguments.
        #[arg(long)]
        stdin: bool,
    },
    /// Print the keyboard entry check character of a 13-character DIN.
    #[command(after_help = CHECK_CHAR_HELP)]
    CheckChar {
        /// The DIN: 13 characters (spaces allowed, as in `A9999 17 123456`), or its barcode
        /// (`=A99991712345600`).
        din: String,
    },
    /// Turn the JSON that `parse` prints back into scans, one a line.
    #[command(after_help = ENCODE_HELP)]
    Encode {
        /// JSON objects as `parse` prints them; without any, they are read from standard
        /// input, one a line.
        json: Vec<String>,
    },
    /// List every data structure Hemaflow reads: number, data identifier, length and name.
    Structures,
}

const PARSE_HELP: &str = "\
Each scan prints one JSON line:
  {\"input\": \"...\", \"ok\": true, \"form\": \"single\", \"structures\": [{\"number\": \"001\",
   \"name\": \"Donation Identification Number\", \"identifier\": \"=\", \"data\": \"...\",
   \"fields\": {...}}]}
or, when the scan is not valid ISBT 128:
  {\"input\": \"...\", \"ok\": false, \"error\": {\"position\": 3, \"message\": \"...\"}}
The position counts characters from 0. A scan may hold one data structure, two read together
(\"concatenated\"), a compound message (=+, \"compound\"), or a DIN keyed in by hand: 13
characters and the check character, spaces allowed (\"keyed_din\").

Exit status: 0 when every scan parsed, 2 when any did not.

Examples:
  hemaflow isbt128 parse '=W12342512345600'
  hemaflow isbt128 parse '=A99991712345600=%5100' '&>0251232359'
  hemaflow isbt128 parse 'G1234 17 654321 A'
  hemaflow isbt128 parse --stdin < scans.txt";

const CHECK_CHAR_HELP: &str = "\
The check character (ISO 7064 MOD 37-2) is printed boxed beside the eye-readable DIN so that
a DIN typed by hand can be verified. Exit status 2 when the DIN is malformed.

Examples:
  hemaflow isbt128 check-char G123417654321        # prints A
  hemaflow isbt128 check-char 'A9999 17 123456'    # prints 9";

const ENCODE_HELP: &str = "\
Each structure is rebuilt from its raw fields (for a DIN: facility, year, sequence, flags) or,
without fields, from \"identifier\" and \"data\". Interpreted fields that are given (such as
\"abo_rhd\" or \"check_character\") must agree with the raw ones, and the result must parse.

Exit status: 0 when every line encoded, 2 when any did not (the reason goes to standard error).

Examples:
  hemaflow isbt128 parse '=A99991712345600=%5100' | hemaflow isbt128 encode
  hemaflow isbt128 encode '{\"structures\": [{\"number\": \"002\", \"fields\": {\"group\": \"51\",
      \"phenotype\": \"0\", \"reserved\": \"0\"}}]}'";

pub fn run(args: Args) -> anyhow::Result<Exit> {
    match args.command {
        Command::Parse { stdin: true, .. } => parse_stdin(),
        Command::Parse { scans, .. } => parse_all(scans.iter().map(String::as_str)),
        Command::CheckChar { din } => Ok(check_char(&din)),
        Command::Encode { json } => encode::run(json),
        Command::Structures => structures(),
    }
}

fn parse_all<'a>(scans: impl Iterator<Item = &'a str>) -> anyhow::Result<Exit> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut exit = Exit::Success;
    for scan in scans {
        if !print_parse(&mut out, scan)? {
            exit = Exit::InvalidInput;
        }
    }
    out.flush().context("could not write to standard output")?;
    Ok(exit)
}

fn parse_stdin() -> anyhow::Result<Exit> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut exit = Exit::Success;
    let mut line = Vec::new();
    let mut input = io::stdin().lock();
    loop {
        line.clear();
        let read = input
            .read_until(b'\n', &mut line)
            .context("could not read standard input")?;
        if read == 0 {
            break;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        // A scanner sends ASCII; anything else is kept visible (U+FFFD) for the error report.
        let scan = String::from_utf8_lossy(&line);
        if !print_parse(&mut out, &scan)? {
            exit = Exit::InvalidInput;
        }
    }
    out.flush().context("could not write to standard output")?;
    Ok(exit)
}

/// Print the JSON line for one scan; returns whether it parsed.
fn print_parse(out: &mut impl Write, scan: &str) -> anyhow::Result<bool> {
    let result = isbt128::parse(scan);
    let parsed = result.is_ok();
    let line = json::scan_result(scan, &result);
    writeln!(out, "{line}").context("could not write to standard output")?;
    Ok(parsed)
}

fn check_char(input: &str) -> Exit {
    match din_of(input) {
        Ok(din) => {
            println!("{}", din.check_character());
            Exit::Success
        }
        Err(error) => {
            eprintln!(
                "hemaflow: '{input}' is not a DIN: {error} (at character {})",
                error.position
            );
            Exit::InvalidInput
        }
    }
}

fn din_of(input: &str) -> Result<isbt128::Din, isbt128::ParseError> {
    if input.starts_with('=') {
        let kind = isbt128::Kind::DonationIdentificationNumber;
        if let isbt128::DataStructure::Donation(number) = isbt128::parse_as(input, &[kind])? {
            return Ok(number.din);
        }
    }
    let compact: String = input.chars().filter(|&c| c != ' ').collect();
    isbt128::Din::parse(&compact).map_err(|error| {
        // Report the position in the input as typed, spaces included.
        let position = input
            .char_indices()
            .filter(|&(_, c)| c != ' ')
            .nth(error.position)
            .map_or(input.chars().count(), |(index, _)| {
                input[..index].chars().count()
            });
        isbt128::ParseError {
            position,
            kind: error.kind,
        }
    })
}

fn structures() -> anyhow::Result<Exit> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    for kind in isbt128::spec::ALL_KINDS {
        let spec = kind.spec();
        let length = match spec.length {
            isbt128::spec::Length::Fixed => spec.fixed_len().to_string(),
            isbt128::spec::Length::RestOfScan => "national".to_owned(),
            _ => format!("{}+", spec.fixed_len()),
        };
        let identifier = match kind {
            isbt128::Kind::NonIccbba => "&a-&z",
            _ => spec.identifier,
        };
        let retired = if spec.retired { " [retired]" } else { "" };
        let number = spec.number.unwrap_or("---");
        writeln!(
            out,
            "{number}  {identifier:<4} {length:>8}  {}{retired}",
            spec.name
        )?;
    }
    out.flush().context("could not write to standard output")?;
    Ok(Exit::Success)
}
