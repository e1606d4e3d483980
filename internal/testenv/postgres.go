package testenv

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresSuperuser is the bootstrap superuser of every throwaway cluster.
const PostgresSuperuser = "postgres"

// PostgresOptions configures a throwaway cluster.
type PostgresOptions struct {
	// SSL turns on TLS with a self-signed certificate generated for the
	// cluster. Clients then may, but need not, use TLS.
	SSL bool
	// HBA replaces the pg_hba.conf lines. The default trusts every local
	// and loopback connection with plain "host" rules.
	HBA []string
	// Settings are extra server settings written to postgresql.conf, such as
	// "log_connections": "on" or a custom "rds.force_ssl": "1".
	Settings map[string]string
}

// Postgres is a running throwaway cluster.
type Postgres struct {
	Host    string
	Port    int
	DataDir string
	// SSL reports whether the cluster accepts TLS connections.
	SSL bool

	root    string
	binDir  string
	asOwner bool
	logFile string
}

// defaultHBA trusts local and loopback connections; tests that need
// password authentication or TLS rules pass their own lines.
var defaultHBA = []string{
	"local all all trust",
	"host all all 127.0.0.1/32 trust",
	"host all all ::1/128 trust",
}

// PostgresBinDir returns the folder of the PostgreSQL server binaries:
// AUDITPACK_PG_BIN when set, else the newest /usr/lib/postgresql/N/bin that
// holds initdb and pg_ctl.
func PostgresBinDir() (string, error) {
	if dir := os.Getenv("AUDITPACK_PG_BIN"); dir != "" {
		if err := checkBinDir(dir); err != nil {
			return "", err
		}
		return dir, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(matches, func(i, j int) bool {
		return versionOf(matches[i]) > versionOf(matches[j])
	})
	for _, dir := range matches {
		if checkBinDir(dir) == nil {
			return dir, nil
		}
	}
	return "", errors.New("PostgreSQL server binaries not found: install the postgresql package (initdb and pg_ctl under /usr/lib/postgresql/N/bin) or set AUDITPACK_PG_BIN")
}

func versionOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func checkBinDir(dir string) error {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("PostgreSQL binary %s missing in %s: %w", name, dir, err)
		}
	}
	return nil
}

// RequirePostgres returns the binary folder, or skips the test when the
// binaries are missing. With CI=true a missing PostgreSQL fails the test.
func RequirePostgres(t testing.TB) string {
	t.Helper()
	dir, err := PostgresBinDir()
	if err != nil {
		Unavailable(t, "PostgreSQL", err)
	}
	return dir
}

// StartPostgresT starts a cluster for one test and stops it when the test
// ends. It skips or fails like RequirePostgres when the binaries are missing.
func StartPostgresT(t testing.TB, opts PostgresOptions) *Postgres {
	t.Helper()
	RequirePostgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pg, err := StartPostgres(ctx, opts)
	if err != nil {
		t.Fatalf("start PostgreSQL: %v", err)
	}
	t.Cleanup(pg.Stop)
	return pg
}

// StartPostgres creates a cluster in a new temporary folder and starts it on
// a free loopback port. When the process runs as root, the cluster's files
// belong to the postgres OS user and the binaries run as that user, because
// PostgreSQL refuses to run as root. Call Stop to remove it.
func StartPostgres(ctx context.Context, opts PostgresOptions) (*Postgres, error) {
	binDir, err := PostgresBinDir()
	if err != nil {
		return nil, err
	}
	root, err := os.MkdirTemp("", "auditpack-pg-")
	if err != nil {
		return nil, err
	}
	pg := &Postgres{
		Host:    "127.0.0.1",
		DataDir: filepath.Join(root, "data"),
		SSL:     opts.SSL,
		root:    root,
		binDir:  binDir,
		asOwner: os.Geteuid() == 0,
		logFile: filepath.Join(root, "server.log"),
	}

	if err := pg.init(ctx, opts); err != nil {
		os.RemoveAll(root)
		return nil, err
	}
	// A port found free can be taken before the server binds it, so a
	// failed start is retried on a new port.
	var startErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := FreePort()
		if err != nil {
			os.RemoveAll(root)
			return nil, err
		}
		pg.Port = port
		if startErr = pg.start(ctx); startErr == nil {
			return pg, nil
		}
	}
	os.RemoveAll(root)
	return nil, startErr
}

func (pg *Postgres) init(ctx context.Context, opts PostgresOptions) error {
	if pg.asOwner {
		if err := chownToPostgres(pg.root); err != nil {
			return err
		}
	}
	out, err := pg.run(ctx, "initdb", "-D", pg.DataDir, "-U", PostgresSuperuser, "--auth=trust",
		"-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions")
	if err != nil {
		return fmt.Errorf("initdb failed: %v: %s", err, out)
	}

	conf := []string{
		"listen_addresses = '127.0.0.1'",
		fmt.Sprintf("unix_socket_directories = '%s'", pg.DataDir),
		"fsync = off",
		"synchronous_commit = off",
		"full_page_writes = off",
		"shared_buffers = 16MB",
		"max_connections = 40",
		"logging_collector = off",
		"include_if_exists = '" + runtimeConf + "'",
	}
	if opts.SSL {
		if err := pg.writeCertificate(); err != nil {
			return err
		}
		conf = append(conf, "ssl = on", "ssl_cert_file = 'server.crt'", "ssl_key_file = 'server.key'")
	}

	keys := make([]string, 0, len(opts.Settings))
	for k := range opts.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		conf = append(conf, fmt.Sprintf("%s = '%s'", k, strings.ReplaceAll(opts.Settings[k], "'", "''")))
	}
	if err := pg.appendFile("postgresql.conf", conf); err != nil {
		return err
	}

	hba := opts.HBA
	if hba == nil {
		hba = defaultHBA
	}
	return pg.WriteHBA(hba)
}

func (pg *Postgres) start(ctx context.Context) error {
	out, err := pg.run(ctx, "pg_ctl", "-D", pg.DataDir, "-l", pg.logFile, "-w", "-t", "30",
		"-o", fmt.Sprintf("-p %d", pg.Port), "start")
	if err != nil {
		log, _ := os.ReadFile(pg.logFile)
		return fmt.Errorf("pg_ctl start failed: %v: %s %s", err, out, tail(string(log), 2000))
	}
	return nil
}

// Stop stops the server at once and removes its folder. It is safe to call
// more than once.
func (pg *Postgres) Stop() {
	if pg.root == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pg.run(ctx, "pg_ctl", "-D", pg.DataDir, "-m", "immediate", "-w", "stop")
	os.RemoveAll(pg.root)
	pg.root = ""
}

// DSN returns a connection URL for the superuser and database.
func (pg *Postgres) DSN(db string) string {
	return pg.UserDSN(PostgresSuperuser, "", db)
}

// SuperuserDSN returns the superuser's URL for the postgres database.
func (pg *Postgres) SuperuserDSN() string { return pg.DSN("postgres") }

// UserDSN returns a connection URL for a role, with a password when one is
// given. The URL requires TLS when the cluster has it and disables it otherwise.
func (pg *Postgres) UserDSN(role, password, db string) string {
	u := url.URL{
		Scheme: "postgres",
		Host:   net.JoinHostPort(pg.Host, strconv.Itoa(pg.Port)),
		Path:   "/" + db,
	}
	if password != "" {
		u.User = url.UserPassword(role, password)
	} else {
		u.User = url.User(role)
	}
	q := url.Values{}
	if pg.SSL {
		q.Set("sslmode", "require")
	} else {
		q.Set("sslmode", "disable")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// CreateDatabase creates an empty database owned by the superuser.
func (pg *Postgres) CreateDatabase(ctx context.Context, name string) error {
	return pg.Exec(ctx, "postgres", "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
}

// Exec runs SQL statements as the superuser in the database.
func (pg *Postgres) Exec(ctx context.Context, db string, statements ...string) error {
	conn, err := pgx.Connect(ctx, pg.DSN(db))
	if err != nil {
		return fmt.Errorf("connect to %s: %w", db, err)
	}
	defer conn.Close(ctx)
	for _, s := range statements {
		if _, err := conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", firstLine(s), err)
		}
	}
	return nil
}

// WriteHBA replaces pg_hba.conf. A running server reads it after Reload.
func (pg *Postgres) WriteHBA(lines []string) error {
	p := filepath.Join(pg.DataDir, "pg_hba.conf")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return err
	}
	if pg.asOwner {
		return chownToPostgres(p)
	}
	return nil
}

// runtimeConf is the file, inside the data folder, that SetSettings
// rewrites; postgresql.conf includes it last.
const runtimeConf = "auditpack_runtime.conf"

// SetSettings replaces the settings of the running server's runtime file
// and reloads. Unlike ALTER SYSTEM, it accepts custom settings that the
// server does not know yet, such as "rds.force_ssl". Settings that need a
// restart do not take effect.
func (pg *Postgres) SetSettings(ctx context.Context, settings map[string]string) error {
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s = '%s'\n", k, strings.ReplaceAll(settings[k], "'", "''"))
	}
	p := filepath.Join(pg.DataDir, runtimeConf)
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		return err
	}
	if pg.asOwner {
		if err := chownToPostgres(p); err != nil {
			return err
		}
	}
	return pg.Reload(ctx)
}

// Reload makes the running server read its configuration files again.
func (pg *Postgres) Reload(ctx context.Context) error {
	return pg.Exec(ctx, "postgres", "SELECT pg_reload_conf()")
}

// ServerLog returns the server's log so far, for test failure messages.
func (pg *Postgres) ServerLog() string {
	data, _ := os.ReadFile(pg.logFile)
	return string(data)
}

func (pg *Postgres) appendFile(name string, lines []string) error {
	f, err := os.OpenFile(filepath.Join(pg.DataDir, name), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString("\n" + strings.Join(lines, "\n") + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeCertificate writes a self-signed ECDSA certificate for 127.0.0.1 and
// localhost into the data folder, where ssl_cert_file finds it.
func (pg *Postgres) writeCertificate() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"server.crt": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		"server.key": pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	}
	for name, data := range files {
		p := filepath.Join(pg.DataDir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			return err
		}
		if pg.asOwner {
			if err := chownToPostgres(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// run runs a PostgreSQL binary, through runuser as the postgres OS user when
// the process is root.
func (pg *Postgres) run(ctx context.Context, name string, args ...string) (string, error) {
	bin := filepath.Join(pg.binDir, name)
	var cmd *exec.Cmd
	if pg.asOwner {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", "postgres", "--", bin}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, bin, args...)
	}
	cmd.Dir = pg.root
	// pg_ctl start leaves the server running with the command's output
	// files; a log file and no pipes keep CombinedOutput from waiting on it.
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func chownToPostgres(path string) error {
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("running as root needs a postgres OS user to own the cluster: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return os.Chown(path, uid, gid)
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}
