//! `corpus --items N [--seed S] [--author EMAIL]…`: writes N generated items as NDJSON on
//! standard output, the same items for the same seed (see the library).

use std::io::Write;

use corpus::{Generator, Random};

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            eprintln!("usage: corpus --items N [--seed S] [--author EMAIL]… [--now-days DAYS]");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut items = None;
    let mut seed = 1;
    let mut authors = Vec::new();
    // Today by default; a fixed day makes the deadlines and publication dates reproducible too.
    let mut now_days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|error| error.to_string())?
        .as_secs() as i64
        / 86_400;
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        let mut value = || {
            arguments
                .next()
                .ok_or_else(|| format!("{argument} needs a value"))
        };
        match argument.as_str() {
            "--items" => items = Some(number(&value()?)?),
            "--seed" => seed = number(&value()?)?,
            "--author" => authors.push(value()?),
            "--now-days" => now_days = number(&value()?)? as i64,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let items = items.ok_or("say how many items: --items N")?;
    if authors.is_empty() {
        // The demo's writers (`infoharbor seed --demo` creates them).
        authors = vec![
            "correspondent@demo.infoharbor.example".into(),
            "secretariat@demo.infoharbor.example".into(),
        ];
    }
    let generator = Generator::new(authors, now_days * 86_400_000_000);
    let mut random = Random(seed);
    let mut output = std::io::BufWriter::new(std::io::stdout().lock());
    for number in 0..items as usize {
        let line = generator.item(&mut random, number);
        writeln!(output, "{line}").map_err(|error| error.to_string())?;
    }
    output.flush().map_err(|error| error.to_string())
}

fn number(text: &str) -> Result<u64, String> {
    text.replace('_', "")
        .parse()
        .map_err(|_| format!("not a number: {text}"))
}
