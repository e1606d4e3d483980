package testenv

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestStartPostgresConnectsAndStops(t *testing.T) {
	pg := StartPostgresT(t, PostgresOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := pg.CreateDatabase(ctx, "Sample DB"); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, pg.DSN("Sample DB"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var version, db string
	if err := conn.QueryRow(ctx, "SELECT current_setting('server_version'), current_database()").Scan(&version, &db); err != nil {
		t.Fatal(err)
	}
	if db != "Sample DB" {
		t.Errorf("current_database() = %q, want %q", db, "Sample DB")
	}
	if version == "" {
		t.Error("server_version is empty")
	}
	dir := pg.DataDir
	conn.Close(ctx)
	pg.Stop()
	if _, err := pgx.Connect(ctx, pg.SuperuserDSN()); err == nil {
		t.Error("connect after Stop succeeded, want refused")
	}
	if fileExists(dir) {
		t.Errorf("data folder %s still exists after Stop", dir)
	}
}

func TestStartPostgresSSLAndSettings(t *testing.T) {
	pg := StartPostgresT(t, PostgresOptions{
		SSL:      true,
		Settings: map[string]string{"rds.force_ssl": "1", "log_connections": "on"},
		HBA:      []string{"local all all trust", "hostssl all all 127.0.0.1/32 trust"},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pg.SuperuserDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var ssl bool
	var force, logConn string
	if err := conn.QueryRow(ctx, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&ssl); err != nil {
		t.Fatal(err)
	}
	if !ssl {
		t.Error("session is not encrypted although sslmode=require")
	}
	if err := conn.QueryRow(ctx, "SELECT current_setting('rds.force_ssl', true), current_setting('log_connections')").Scan(&force, &logConn); err != nil {
		t.Fatal(err)
	}
	if force != "1" || logConn != "on" {
		t.Errorf("settings = rds.force_ssl %q, log_connections %q; want 1, on", force, logConn)
	}
	plain := strings.Replace(pg.SuperuserDSN(), "sslmode=require", "sslmode=disable", 1)
	if c, err := pgx.Connect(ctx, plain); err == nil {
		c.Close(ctx)
		t.Error("plain connection accepted although only hostssl rules exist")
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
