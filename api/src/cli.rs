//! The commands of the `infoharbor` binary.

use std::io::BufRead;

use anyhow::Context;

use crate::app::{self, Application};
use crate::auth::Role;
use crate::config::{Cli, Command, ImportArgs, StorageConfig, UserAddArgs, UserCommand};
use crate::service::users::{self, NewUser};

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let Cli {
        storage,
        serve,
        command,
    } = cli;
    match command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let application = Application::build(&storage, &serve).await?;
            tracing::info!(address = %application.local_addr()?, "serving GraphQL on /graphql");
            application
                .run_until(app::shutdown_signal())
                .await
                .context("the server failed")
        }
        Command::Migrate => {
            app::open_database(&storage).await?;
            println!("the database is up to date");
            Ok(())
        }
        Command::Seed(args) => {
            anyhow::ensure!(args.demo, "say what to seed: `infoharbor seed --demo`");
            let state = app::state(&storage, serve.jwt_secret.as_deref(), false).await?;
            if state.search.has_writer() {
                crate::service::search::catch_up(&state)
                    .await
                    .context("failed to bring the search index up to date")?;
            }
            crate::seed::demo(&state).await
        }
        Command::User(UserCommand::Add(args)) => {
            add_user(&storage, serve.jwt_secret.as_deref(), args).await
        }
        Command::Import(args) => import(&storage, args).await,
        Command::Reindex => reindex(&storage).await,
        Command::Schema => {
            print!("{}", crate::graphql::sdl());
            Ok(())
        }
    }
}

async fn add_user(
    storage: &StorageConfig,
    jwt_secret: Option<&str>,
    args: UserAddArgs,
) -> anyhow::Result<()> {
    let role = Role::parse(&args.role).with_context(|| {
        format!(
            "unknown role '{}': use secretariat, correspondent, member, investor or user",
            args.role
        )
    })?;
    eprintln!("password for {} (read from stdin):", args.email);
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("failed to read the password from stdin")?;
    let password = password.trim_end_matches(['\r', '\n']).to_owned();
    let state = app::state(storage, jwt_secret, false).await?;
    let user = users::upsert(
        &state,
        NewUser {
            email: args.email,
            password,
            role,
            name: args.name,
            organisation: args.org,
            countries: args.countries,
            regions: args.regions,
            sectors: args.sectors,
            trusted: args.trusted,
        },
    )
    .await
    .context("failed to save the user")?;
    println!("user {} ({}) saved", user.email, user.role.to_lowercase());
    Ok(())
}

async fn import(storage: &StorageConfig, args: ImportArgs) -> anyhow::Result<()> {
    let open = || {
        std::fs::File::open(&args.file)
            .map(std::io::BufReader::new)
            .with_context(|| format!("failed to open {}", args.file.display()))
    };
    // A file's lines are counted first, so that progress is a bar.
    let (input, total_lines): (Box<dyn BufRead>, Option<u64>) = if args.file.as_os_str() == "-" {
        (Box::new(std::io::stdin().lock()), None)
    } else {
        let lines = open()?.split(b'\n').count() as u64;
        (Box::new(open()?), Some(lines))
    };
    let state = app::state(storage, None, true).await?;
    if state.search.has_writer() {
        crate::service::search::catch_up(&state)
            .await
            .context("failed to bring the search index up to date")?;
    }
    let started = std::time::Instant::now();
    let summary =
        crate::import::import(
            &state,
            input,
            args.batch,
            |lines, imported| match total_lines {
                Some(total) => progress_bar("lines", lines as u64, total),
                None => eprint!("\r{lines} lines read, {imported} items imported"),
            },
        )
        .await?;
    eprintln!();
    println!(
        "{}",
        crate::import::report(&summary, started.elapsed().as_secs_f64())
    );
    Ok(())
}

/// A progress bar of `done` out of `total` on one line of standard error.
fn progress_bar(label: &str, done: u64, total: u64) {
    const WIDTH: u64 = 30;
    let filled = (done * WIDTH)
        .checked_div(total)
        .unwrap_or(WIDTH)
        .min(WIDTH);
    eprint!(
        "\r[{}{}] {done}/{total} {label}",
        "#".repeat(filled as usize),
        " ".repeat((WIDTH - filled) as usize)
    );
}

async fn reindex(storage: &StorageConfig) -> anyhow::Result<()> {
    let state = app::state(storage, None, true).await?;
    anyhow::ensure!(
        state.search.has_writer(),
        "the search index is in use by a running server; stop it first (a server also rebuilds a deleted index at start)"
    );
    let started = std::time::Instant::now();
    crate::service::search::rebuild(&state, |done, total| progress_bar("items", done, total))
        .await
        .context("failed to rebuild the search index")?;
    eprintln!();
    println!(
        "search index rebuilt: {} documents in {:.1} s",
        state.search.index.document_count(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
