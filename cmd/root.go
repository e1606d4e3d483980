// Package cmd holds auditpack's cobra commands and viper configuration. It is
// the only package that handles flags, exit codes and stdout.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes of the command-line contract.
const (
	ExitOK         = 0
	ExitFailed     = 1
	ExitIncomplete = 2
	ExitUsage      = 3
	ExitAborted    = 4
)

// Build information, set with -ldflags at release time.
var (
	Version = "0.1.0-dev"
	Commit  = "unknown"
)

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit code %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErrorf returns an error that exits with code 3.
func usageErrorf(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// abortedError returns an error that exits with code 4.
func abortedError(err error) error { return &exitError{code: ExitAborted, err: err} }

// withCode ends a command with an exit code and no message of its own.
func withCode(code int) error {
	if code == ExitOK {
		return nil
	}
	return &exitError{code: code}
}

// app is the state shared by the commands of one invocation.
type app struct {
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	logger *slog.Logger

	configPath string
	logLevel   string
	logFormat  string
	quiet      bool
}

// Execute runs the command line and returns the process exit code.
func Execute() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &app{stdout: stdout, stderr: stderr, getenv: getenv}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "auditpack: %v\n", ee.err)
		}
		return ee.code
	}
	// Errors cobra raises itself (unknown command or flag, wrong argument
	// count) are usage errors.
	fmt.Fprintf(stderr, "auditpack: %v\n", err)
	if isUsageError(err) {
		fmt.Fprintln(stderr, "Run 'auditpack --help' for usage.")
		return ExitUsage
	}
	return ExitAborted
}

func isUsageError(err error) bool {
	msg := err.Error()
	for _, s := range []string{"unknown command", "unknown flag", "unknown shorthand", "flag needs an argument", "invalid argument", "accepts ", "requires ", "required flag"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "auditpack",
		Short: "Collect SOC 2 evidence from AWS and PostgreSQL into a verifiable bundle",
		Long: `auditpack collects evidence from AWS accounts, PostgreSQL databases and
exported files, checks it against the AICPA Trust Services Criteria, and writes
a signed evidence bundle with a PDF report, an Excel workbook, JUnit and OSCAL.

Exit codes: 0 finished with no failing finding at or above --fail-on;
1 a finding failed; 2 evidence is incomplete (error findings);
3 invalid usage or configuration (nothing written); 4 the run could not finish.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.setupLogging(cmd.Flags().Changed("log-level"))
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageErrorf("%v; run with --help for the flags", err)
	})
	pf := root.PersistentFlags()
	pf.StringVar(&a.configPath, "config", "", "configuration file (default: ./auditpack.yaml when it exists)")
	pf.StringVar(&a.logLevel, "log-level", "info", "log level on stderr: debug, info, warn, error")
	pf.StringVar(&a.logFormat, "log-format", "text", "log format on stderr: text or json")
	pf.BoolVarP(&a.quiet, "quiet", "q", false, "log only warnings and errors, and draw no progress")

	root.AddCommand(
		a.runCommand(),
		a.collectCommand(),
		a.evaluateCommand(),
		a.reportCommand(),
		a.verifyCommand(),
		a.controlsCommand(),
		a.checksCommand(),
		a.keygenCommand(),
		a.historyCommand(),
		a.diffCommand(),
		a.accessReviewCommand(),
		a.manCommand(root),
		a.versionCommand(),
		a.permissionsCommand(),
		a.doctorCommand(),
	)
	return root
}

// setupLogging builds the stderr logger. On a terminal, where progress
// lines are drawn, info lines would tear them, so the default level there is
// warn unless --log-level is given.
func (a *app) setupLogging(levelGiven bool) error {
	var level slog.Level
	switch strings.ToLower(a.logLevel) {
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	case "warn", "warning":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		return usageErrorf("--log-level: invalid value %q; use debug, info, warn or error", a.logLevel)
	}
	if a.quiet && level < slog.LevelWarn {
		level = slog.LevelWarn
	}
	if !levelGiven && level == slog.LevelInfo && newProgress(a) != nil {
		level = slog.LevelWarn
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(a.logFormat) {
	case "text":
		a.logger = slog.New(slog.NewTextHandler(a.stderr, opts))
	case "json":
		a.logger = slog.New(slog.NewJSONHandler(a.stderr, opts))
	default:
		return usageErrorf("--log-format: invalid value %q; use text or json", a.logFormat)
	}
	return nil
}
