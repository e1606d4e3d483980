// Command demo runs auditpack end to end on the built-in demo environment:
// moto_server for AWS (with a fake for AWS Backup's ListBackupJobs, which
// moto does not serve) and a throwaway PostgreSQL cluster holding a small
// company's application database. `make demo` runs it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/auditpack/auditpack/internal/testenv"
)

func main() {
	bin := flag.String("bin", "bin/auditpack", "auditpack binary to run")
	config := flag.String("config", "configs/demo.yaml", "demo configuration")
	out := flag.String("out", "demo-output", "folder for the demo's inputs, keys and bundles (the configuration's output_dir)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, *bin, *config, *out)
	if err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		os.Exit(4)
	}
	os.Exit(code)
}

func run(ctx context.Context, bin, config, out string) (int, error) {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	now := time.Now().UTC()
	inputs := filepath.Join(out, "inputs")
	if err := os.MkdirAll(inputs, 0o755); err != nil {
		return 0, err
	}

	log.Info("starting moto_server")
	moto, err := testenv.StartMoto(ctx)
	if err != nil {
		return 0, err
	}
	defer moto.Stop()
	log.Info("starting a throwaway PostgreSQL cluster")
	pg, err := testenv.StartPostgres(ctx, testenv.PostgresOptions{SSL: true, Settings: map[string]string{"log_connections": "on"}})
	if err != nil {
		return 0, err
	}
	defer pg.Stop()

	log.Info("seeding the demo company", "aws", moto.Endpoint, "postgres", fmt.Sprintf("%s:%d", pg.Host, pg.Port))
	if err := testenv.SeedDemoS3IAMCloudTrail(ctx, moto.Endpoint); err != nil {
		return 0, fmt.Errorf("seed S3, IAM and CloudTrail: %w", err)
	}
	if err := testenv.SeedDemoKMSEC2RDS(ctx, moto.Endpoint); err != nil {
		return 0, fmt.Errorf("seed KMS, EC2 and RDS: %w", err)
	}
	if err := pg.CreateDatabase(ctx, "app"); err != nil {
		return 0, err
	}
	// The password is only there to show that it never leaves the variable;
	// the throwaway cluster trusts loopback connections.
	dsn := strings.Replace(pg.DSN("app"), "postgres@", "postgres:demo-password-not-secret@", 1)
	if err := testenv.SeedDemoDatabase(ctx, pg.DSN("app"), now); err != nil {
		return 0, fmt.Errorf("seed the application database: %w", err)
	}
	if err := testenv.WriteDemoRoster(filepath.Join(inputs, "hr-roster.csv")); err != nil {
		return 0, err
	}
	if err := testenv.WriteDemoRestoreTests(filepath.Join(inputs, "restore-tests.csv"), now); err != nil {
		return 0, err
	}
	waivers := fmt.Sprintf(`waivers:
  - id: W-001
    check: aws.s3.versioning
    resource: "arn:aws:s3:::acme-tmp"
    justification: Scratch bucket for build artefacts, rebuilt from source on demand
    approver: Dana Ortiz (CISO)
    expires: %s
  - id: W-002
    check: aws.s3.tls_only
    resource: "arn:aws:s3:::acme-web-assets"
    justification: Public website assets, TLS enforced at the CDN
    approver: Dana Ortiz (CISO)
    expires: %s
`, now.AddDate(0, 3, 0).Format("2006-01-02"), now.AddDate(0, -1, 0).Format("2006-01-02"))
	if err := os.WriteFile(filepath.Join(inputs, "waivers.yaml"), []byte(waivers), 0o644); err != nil {
		return 0, err
	}
	policy := "# Code of conduct\n\nApproved by the board of Example Corp. Every employee acknowledges it at hiring and yearly.\n"
	if err := os.WriteFile(filepath.Join(inputs, "code-of-conduct.md"), []byte(policy), 0o644); err != nil {
		return 0, err
	}

	backup, err := testenv.StartBackupFake(testenv.DemoBackupJobs(now))
	if err != nil {
		return 0, err
	}
	defer backup.Close()
	endpoint, stopRouter, err := startRouter(moto.Endpoint, backup.URL)
	if err != nil {
		return 0, err
	}
	defer stopRouter()

	keys := filepath.Join(out, "keys")
	if _, err := os.Stat(filepath.Join(keys, "auditpack.key")); errors.Is(err, os.ErrNotExist) {
		if err := command(ctx, bin, nil, "keygen", "--out-dir", keys).Run(); err != nil {
			return 0, fmt.Errorf("auditpack keygen: %w", err)
		}
	}
	key, err := os.ReadFile(filepath.Join(keys, "auditpack.key"))
	if err != nil {
		return 0, err
	}

	env := []string{
		"AUDITPACK_AWS_ENDPOINT=" + endpoint,
		"AWS_ACCESS_KEY_ID=demo",
		"AWS_SECRET_ACCESS_KEY=demo",
		"AWS_EC2_METADATA_DISABLED=true",
		"APP_DATABASE_URL=" + dsn,
		"AUDITPACK_SIGNING_KEY=" + string(key),
	}
	log.Info("running auditpack", "config", config)
	runCmd := command(ctx, bin, env, "run", "--config", config)
	runErr := runCmd.Run()
	code := runCmd.ProcessState.ExitCode()
	if runErr != nil && code < 0 {
		return 0, fmt.Errorf("auditpack run: %w", runErr)
	}
	if code != 0 {
		return code, nil
	}

	bundles, _ := filepath.Glob(filepath.Join(out, "auditpack-*.zip"))
	if len(bundles) == 0 {
		return 0, errors.New("auditpack run wrote no bundle")
	}
	latest := bundles[len(bundles)-1]
	review := filepath.Join(out, "access-review.xlsx")
	if err := command(ctx, bin, env, "access-review", "export", "--config", config, "--out", review).Run(); err != nil {
		return 0, fmt.Errorf("auditpack access-review export: %w", err)
	}
	fmt.Printf("\nDemo bundle: %s\nVerifying it with the demo's public key:\n", latest)
	verify := command(ctx, bin, nil, "verify", latest, "--pubkey", filepath.Join(keys, "auditpack.pub"))
	if err := verify.Run(); err != nil {
		return verify.ProcessState.ExitCode(), nil
	}
	return 0, nil
}

// command runs the auditpack binary with stdout and stderr passed through.
func command(ctx context.Context, bin string, env []string, args ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, bin, args...)
	c.Stdout = os.Stdout
	c.Stderr = os.Stderr
	c.Env = append(os.Environ(), env...)
	return c
}

// startRouter serves one loopback endpoint for auditpack: AWS Backup
// requests (recognised by the service in the SigV4 credential scope) go to
// the Backup fake, everything else to moto_server.
func startRouter(motoURL, backupURL string) (string, func(), error) {
	mu, err := url.Parse(motoURL)
	if err != nil {
		return "", nil, err
	}
	bu, err := url.Parse(backupURL)
	if err != nil {
		return "", nil, err
	}
	toMoto := httputil.NewSingleHostReverseProxy(mu)
	toBackup := httputil.NewSingleHostReverseProxy(bu)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.Header.Get("Authorization"), "/backup/aws4_request") {
			toBackup.ServeHTTP(w, r)
			return
		}
		toMoto.ServeHTTP(w, r)
	}), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	return "http://" + l.Addr().String(), func() { srv.Close() }, nil
}
