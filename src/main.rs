fn main() -> std::process::ExitCode {
    korsel::cli::main()
}
