package cmd

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/internal/testenv"
)

// results reads results.json beside the newest bundle.
func (e *e2eEnv) results(t *testing.T) *controls.Results {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(e.out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r controls.Results
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

func findingOf(r *controls.Results, check, resource string) (controls.Finding, bool) {
	for _, f := range r.Findings {
		if f.CheckID == check && f.Resource == resource {
			return f, true
		}
	}
	return controls.Finding{}, false
}

func (e *e2eEnv) writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExitCodeZeroWhenNothingFails(t *testing.T) {
	e := newE2E(t, "high", "")
	// Two seeded buckets fail aws.s3.versioning, a medium check: they count
	// against --fail-on medium but not against high.
	code, _, stderr := e.auditpack(t, "run", "--checks", "aws.s3.versioning,postgres.auditlog.retention", "--fail-on", "medium")
	if code != ExitFailed {
		t.Fatalf("exit code with --fail-on medium = %d, want 1\n%s", code, stderr)
	}
	code, _, stderr = e.auditpack(t, "run", "--checks", "aws.s3.versioning,postgres.auditlog.retention")
	if code != ExitOK {
		t.Fatalf("exit code with --fail-on high = %d, want 0\n%s", code, stderr)
	}
}

func TestExitCodeTwoWhenEvidenceIncomplete(t *testing.T) {
	e := newE2E(t, "low", "")
	// The audit-log table named here does not exist: the audit-log checks
	// become error findings and nothing fails.
	cfg, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	missing := strings.Replace(string(cfg), `public."AuditLogs"`, `public."NoSuchTable"`, 1)
	e.writeFile(t, "auditpack.yaml", missing)
	code, stdout, stderr := e.auditpack(t, "run", "--checks", "postgres.auditlog.*", "--formats", "pdf,xlsx,junit,oscal")
	if code != ExitIncomplete {
		t.Fatalf("exit code = %d, want 2\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	r := e.results(t)
	errors := 0
	for _, f := range r.Findings {
		if f.Status == controls.StatusError {
			errors++
			if !strings.Contains(f.Message, "NoSuchTable") {
				t.Errorf("error finding %s does not name the table: %s", f.CheckID, f.Message)
			}
		}
		if f.Status == controls.StatusPass {
			t.Errorf("finding %s %s passed although the table is missing", f.CheckID, f.Resource)
		}
	}
	if errors == 0 {
		t.Fatal("no error finding for the missing table")
	}
	// Every requested output exists before the exit code is returned.
	for _, name := range []string{"results.json", "report.pdf", "report.xlsx", "junit.xml", "oscal.json"} {
		if _, err := os.Stat(filepath.Join(e.out, name)); err != nil {
			t.Errorf("%s missing at exit 2: %v", name, err)
		}
	}
	if code, _, _ := e.auditpack(t, "run", "--checks", "postgres.auditlog.*", "--fail-on", "critical"); code != ExitOK {
		t.Errorf("exit code with the errors below --fail-on = %d, want 0", code)
	}
}

func TestOutputDirThatIsAFileExitsThree(t *testing.T) {
	e := newE2E(t, "high", "")
	e.writeFile(t, "out", "not a folder")
	code, _, stderr := e.auditpack(t, "run", "--checks", "aws.s3.versioning")
	if code != ExitUsage || !strings.Contains(stderr, "output_dir") {
		t.Fatalf("exit code = %d, want 3 naming output_dir\n%s", code, stderr)
	}
	matches, _ := filepath.Glob(filepath.Join(e.dir, "*.zip"))
	if len(matches) != 0 {
		t.Errorf("bundles written on exit 3: %v", matches)
	}
}

// TestInterruptLeavesNoPartialBundle also covers exit code 4: the run
// could not finish.
func TestInterruptLeavesNoPartialBundle(t *testing.T) {
	e := newE2E(t, "high", "")
	// An endpoint that accepts connections and never replies keeps the run
	// in collection until the signal arrives.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	cfg, _ := os.ReadFile(e.config)
	hung := strings.Replace(string(cfg), "endpoint: http://127.0.0.1:", "endpoint: http://"+l.Addr().String()+"#", 1)
	e.writeFile(t, "auditpack.yaml", hung)

	cmd := exec.Command(binary, "run", "--checks", "aws.s3.versioning")
	cmd.Dir = e.dir
	cmd.Env = append(os.Environ(), e.env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the work folder exists, then interrupt.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m, _ := filepath.Glob(filepath.Join(e.out, ".work-*")); len(m) > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("auditpack did not stop within 20s of SIGINT")
	}
	if code := cmd.ProcessState.ExitCode(); code != ExitAborted {
		t.Errorf("exit code after SIGINT = %d, want 4", code)
	}
	if m, _ := filepath.Glob(filepath.Join(e.out, "*.zip")); len(m) != 0 {
		t.Errorf("a bundle was published after SIGINT: %v", m)
	}
	work, _ := filepath.Glob(filepath.Join(e.out, ".work-*", incompleteMarker))
	if len(work) != 1 {
		t.Errorf("work folder marked %s: found %v, want one", incompleteMarker, work)
	}
}

func TestWaiversValidExpiredUnmatched(t *testing.T) {
	e := newE2E(t, "medium", "waivers: waivers.yaml\n")
	e.writeFile(t, "waivers.yaml", `waivers:
  - id: W-1
    check: aws.s3.versioning
    resource: "arn:aws:s3:::e2e-bare"
    justification: Scratch bucket, deleted next sprint
    approver: Jane Roe
    expires: 2099-12-31
  - id: W-2
    check: aws.s3.versioning
    resource: "arn:aws:s3:::e2e-unversioned"
    justification: Migration pending
    approver: Jane Roe
    expires: 2020-01-31
  - id: W-3
    check: aws.s3.*
    resource: "arn:aws:s3:::no-such-bucket-*"
    justification: Old exception
    approver: Jane Roe
    expires: 2099-01-01
`)
	code, _, stderr := e.auditpack(t, "run", "--checks", "aws.s3.versioning")
	if code != ExitFailed {
		t.Fatalf("exit code = %d, want 1 (the expired waiver leaves a fail)\n%s", code, stderr)
	}
	r := e.results(t)
	if f, _ := findingOf(r, "aws.s3.versioning", "arn:aws:s3:::e2e-bare"); f.Status != controls.StatusWaived || f.Waiver == nil || f.Waiver.ID != "W-1" {
		t.Errorf("e2e-bare = %+v, want waived by W-1", f)
	}
	f, _ := findingOf(r, "aws.s3.versioning", "arn:aws:s3:::e2e-unversioned")
	if f.Status != controls.StatusFail || f.Waiver == nil || !f.Waiver.Expired {
		t.Errorf("e2e-unversioned = %+v, want fail with the expired waiver noted", f)
	}
	states := map[string]string{}
	for _, w := range r.Waivers {
		states[w.ID] = w.State
	}
	if states["W-1"] != "active" || states["W-2"] != "expired" || states["W-3"] != "unmatched" {
		t.Errorf("waiver states = %v, want W-1 active, W-2 expired, W-3 unmatched", states)
	}
	// With only the valid waiver the run passes the threshold.
	e.writeFile(t, "waivers.yaml", `waivers:
  - {id: W-1, check: aws.s3.versioning, resource: "arn:aws:s3:::e2e-*ed", justification: Accepted, approver: Jane Roe, expires: 2099-12-31}
  - {id: W-4, check: aws.s3.versioning, resource: "arn:aws:s3:::e2e-bare", justification: Accepted, approver: Jane Roe, expires: 2099-12-31}
`)
	if code, _, stderr := e.auditpack(t, "run", "--checks", "aws.s3.versioning"); code != ExitOK {
		t.Errorf("exit code with every fail waived = %d, want 0\n%s", code, stderr)
	}
}

func TestGuardrailFailsWeakenedThreshold(t *testing.T) {
	e := newE2E(t, "none", "")
	cfg, _ := os.ReadFile(e.config)
	weakened := strings.Replace(string(cfg), "checks:\n  select: [", "checks:\n  params:\n    postgres.auditlog.retention: {min_days: 7}\n  select: [config.thresholds, ", 1)
	e.writeFile(t, "auditpack.yaml", weakened)
	if code, _, stderr := e.auditpack(t, "run"); code != ExitOK {
		t.Fatalf("exit code = %d, want 0 with fail_on none\n%s", code, stderr)
	}
	r := e.results(t)
	var guard []controls.Finding
	for _, f := range r.Findings {
		if f.CheckID == "config.thresholds" {
			guard = append(guard, f)
		}
	}
	if len(guard) != 1 || guard[0].Status != controls.StatusFail || !strings.Contains(guard[0].Message, "min_days") {
		t.Errorf("config.thresholds findings = %+v, want one fail naming min_days", guard)
	}
}

func TestCustomRules(t *testing.T) {
	rule := func(expr string) string {
		return fmt.Sprintf(`rules:
  - id: custom.s3.name_prefix
    title: Bucket names carry the e2e prefix
    severity: low
    criteria: [CC6.1]
    kind: aws.s3.bucket
    expression: %s
`, expr)
	}
	t.Run("valid", func(t *testing.T) {
		e := newE2E(t, "none", rule(`'resource.startsWith("arn:aws:s3:::e2e-")'`))
		if code, _, stderr := e.auditpack(t, "run", "--checks", "custom.s3.name_prefix"); code != ExitOK {
			t.Fatalf("exit code = %d\n%s", code, stderr)
		}
		r := e.results(t)
		n := 0
		for _, f := range r.Findings {
			if f.CheckID == "custom.s3.name_prefix" {
				n++
				if f.Status != controls.StatusPass {
					t.Errorf("%s = %s, want pass", f.Resource, f.Status)
				}
			}
		}
		if n != 3 {
			t.Errorf("custom rule findings = %d, want one per bucket (3)", n)
		}
	})
	t.Run("compile error", func(t *testing.T) {
		e := newE2E(t, "none", rule(`'resource.startsWith('`))
		code, _, stderr := e.auditpack(t, "run")
		if code != ExitUsage {
			t.Fatalf("exit code = %d, want 3\n%s", code, stderr)
		}
		if !strings.Contains(stderr, "custom.s3.name_prefix") || !strings.Contains(stderr, ":") {
			t.Errorf("compile error does not name the rule and position: %s", stderr)
		}
	})
	t.Run("runtime type error", func(t *testing.T) {
		e := newE2E(t, "none", rule(`'attributes.name + 1 == 2'`))
		code, _, stderr := e.auditpack(t, "run", "--checks", "custom.s3.name_prefix")
		if code == ExitUsage {
			t.Skipf("the type error was caught at compile time: %s", stderr)
		}
		r := e.results(t)
		for _, f := range r.Findings {
			if f.CheckID == "custom.s3.name_prefix" && f.Status != controls.StatusError {
				t.Errorf("%s = %s, want error for a runtime type error", f.Resource, f.Status)
			}
		}
	})
}

func TestSignedBundleVerification(t *testing.T) {
	e := newE2E(t, "none", "signing: {key_env: TEST_SIGNING_KEY}\n")
	keys := filepath.Join(e.dir, "keys")
	if code, _, stderr := e.auditpack(t, "keygen", "--out-dir", keys); code != 0 {
		t.Fatalf("keygen: exit %d\n%s", code, stderr)
	}
	if st, err := os.Stat(filepath.Join(keys, "auditpack.key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode = %v, %v; want 0600", st.Mode().Perm(), err)
	}
	priv, _ := os.ReadFile(filepath.Join(keys, "auditpack.key"))
	e.env = append(e.env, "TEST_SIGNING_KEY="+string(priv))
	if code, stdout, stderr := e.auditpack(t, "run", "--checks", "aws.s3.versioning"); code != 0 {
		t.Fatalf("run: exit %d\n%s%s", code, stdout, stderr)
	}
	signed := e.bundle(t)
	files := readZip(t, signed)
	for _, name := range []string{"manifest.sig", "signing/public_key.pem"} {
		if _, ok := files[name]; !ok {
			t.Errorf("signed bundle lacks %s", name)
		}
	}
	if strings.Contains(string(files["config.json"]), "PRIVATE KEY") {
		t.Error("the private key appears in config.json")
	}
	pub := filepath.Join(keys, "auditpack.pub")
	if code, out, _ := e.auditpack(t, "verify", signed, "--pubkey", pub); code != 0 || !strings.Contains(out, "valid for the given key") {
		t.Errorf("verify with the right key: exit %d\n%s", code, out)
	}

	// report signs the new bundle it writes when the configuration signs.
	code, out, stderr := e.auditpack(t, "report", "--bundle", signed, "--formats", "junit", "--config", "auditpack.yaml", "--output-dir", filepath.Join(e.dir, "rendered"))
	if code != 0 || !strings.Contains(out, "Signed: yes") {
		t.Fatalf("report --bundle with signing: exit %d\n%s%s", code, out, stderr)
	}
	rendered, _ := filepath.Glob(filepath.Join(e.dir, "rendered", "*.zip"))
	if len(rendered) != 1 {
		t.Fatalf("report wrote %v, want one bundle", rendered)
	}
	if code, out, _ := e.auditpack(t, "verify", rendered[0], "--pubkey", pub); code != 0 {
		t.Errorf("verify of the re-rendered bundle: exit %d\n%s", code, out)
	}

	other := filepath.Join(e.dir, "other")
	e.auditpack(t, "keygen", "--out-dir", other)
	if code, out, _ := e.auditpack(t, "verify", signed, "--pubkey", filepath.Join(other, "auditpack.pub")); code != 1 {
		t.Errorf("verify with another key: exit %d, want 1\n%s", code, out)
	}

	// A forger who rewrites a file, the manifest and SHA256SUMS is caught by
	// the signature.
	forged := filepath.Join(e.dir, "forged.zip")
	changed := map[string][]byte{}
	for n, d := range files {
		changed[n] = d
	}
	changed["results.json"] = []byte(strings.Replace(string(files["results.json"]), `"fail"`, `"pass"`, -1))
	var m struct {
		SchemaVersion string `json:"schema_version"`
		RunID         string `json:"run_id"`
		Files         []struct {
			Path   string `json:"path"`
			SHA256 string `json:"sha256"`
			Size   int64  `json:"size"`
		} `json:"files"`
	}
	json.Unmarshal(files["manifest.json"], &m)
	for i := range m.Files {
		if m.Files[i].Path == "results.json" {
			m.Files[i].SHA256 = sha256hex(changed["results.json"])
			m.Files[i].Size = int64(len(changed["results.json"]))
		}
	}
	mdata, _ := json.MarshalIndent(m, "", "  ")
	changed["manifest.json"] = append(mdata, '\n')
	changed["SHA256SUMS"] = []byte(strings.Replace(string(files["SHA256SUMS"]), sha256hex(files["results.json"]), sha256hex(changed["results.json"]), 1))
	changed["SHA256SUMS"] = []byte(strings.Replace(string(changed["SHA256SUMS"]), sha256hex(files["manifest.json"]), sha256hex(changed["manifest.json"]), 1))
	writeTestZip(t, forged, changed)
	if code, out, _ := e.auditpack(t, "verify", forged, "--pubkey", pub); code != 1 || !strings.Contains(out, "signature") {
		t.Errorf("verify of a re-manifested forgery: exit %d, want 1 naming the signature\n%s", code, out)
	}

	// An unsigned bundle fails when a key is required, and verify reports it
	// as unsigned otherwise.
	e.env = e.env[:len(e.env)-1]
	cfg, _ := os.ReadFile(e.config)
	e.writeFile(t, "auditpack.yaml", strings.Replace(string(cfg), "signing: {key_env: TEST_SIGNING_KEY}\n", "", 1))
	if code, _, stderr := e.auditpack(t, "run", "--checks", "aws.s3.versioning"); code != 0 {
		t.Fatalf("unsigned run: exit %d\n%s", code, stderr)
	}
	var unsigned string
	all, _ := filepath.Glob(filepath.Join(e.out, "auditpack-*.zip"))
	for _, b := range all {
		if b != signed {
			unsigned = b
		}
	}
	if len(all) != 2 || unsigned == "" {
		t.Fatalf("bundles after the unsigned run = %v, want the signed one and a new one", all)
	}
	if code, _, _ := e.auditpack(t, "verify", unsigned, "--pubkey", pub); code != 1 {
		t.Errorf("verify --pubkey of an unsigned bundle: exit %d, want 1", code)
	}
	if code, out, _ := e.auditpack(t, "verify", unsigned); code != 0 || !strings.Contains(out, "unsigned") {
		t.Errorf("verify of an unsigned bundle without --pubkey: exit %d, want 0 and 'unsigned'\n%s", code, out)
	}
}

func TestSHA256SumsChecksWithCoreutils(t *testing.T) {
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Skip("sha256sum not installed")
	}
	e := newE2E(t, "none", "")
	if code, _, stderr := e.auditpack(t, "run", "--checks", "aws.s3.versioning"); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	dir := filepath.Join(e.dir, "unpacked")
	unzip(t, e.bundle(t), dir)
	cmd := exec.Command("sha256sum", "--strict", "-c", "SHA256SUMS")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum -c: %v\n%s", err, out)
	}
}

func TestManualEvidenceBundled(t *testing.T) {
	e := newE2E(t, "none", "manual_evidence:\n  - {criteria: [CC1.1, CC1.4], path: policies/conduct.md, description: Code of conduct}\n")
	os.MkdirAll(filepath.Join(e.dir, "policies"), 0o755)
	e.writeFile(t, "policies/conduct.md", "# Code of conduct\n")
	if code, _, stderr := e.auditpack(t, "run", "--checks", "aws.s3.versioning"); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	files := readZip(t, e.bundle(t))
	if string(files["manual/conduct.md"]) != "# Code of conduct\n" {
		t.Errorf("manual/conduct.md = %q, want the file's content", files["manual/conduct.md"])
	}
	r := e.results(t)
	for _, c := range r.Criteria {
		if c.ID != "CC1.1" {
			continue
		}
		if c.Status != controls.CriterionManual || len(c.ManualEvidence) != 1 || c.ManualEvidence[0].SHA256 != sha256hex([]byte("# Code of conduct\n")) {
			t.Errorf("CC1.1 = %+v, want manual with the file and its SHA-256", c)
		}
	}
}

func TestHistoryAndDiff(t *testing.T) {
	e := newE2E(t, "none", "")
	if code, _, stderr := e.auditpack(t, "run", "--checks", "aws.s3.versioning"); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, stderr)
	}
	first := e.results(t).Run.ID
	// Fix one bucket between the runs.
	moto := testenv.RequireMoto(t)
	seedBuckets(t, moto.Endpoint)
	enableVersioning(t, moto.Endpoint, "e2e-bare")
	time.Sleep(1100 * time.Millisecond) // run ids carry the start second
	if code, _, stderr := e.auditpack(t, "run", "--checks", "aws.s3.versioning"); code != 0 {
		t.Fatalf("second run: exit %d\n%s", code, stderr)
	}
	second := e.results(t).Run.ID
	code, out, stderr := e.auditpack(t, "history", "--format", "json")
	if code != 0 {
		t.Fatalf("history: exit %d\n%s", code, stderr)
	}
	var h struct {
		Runs []struct {
			RunID string `json:"run_id"`
		} `json:"runs"`
	}
	json.Unmarshal([]byte(out), &h)
	if len(h.Runs) != 2 {
		t.Fatalf("history lists %d runs, want 2:\n%s", len(h.Runs), out)
	}
	code, out, stderr = e.auditpack(t, "diff", first, second, "--format", "json")
	if code != 0 {
		t.Fatalf("diff: exit %d\n%s", code, stderr)
	}
	var d struct {
		Changes []struct {
			CheckID  string `json:"check_id"`
			Resource string `json:"resource"`
			Kind     string `json:"kind"`
		} `json:"changes"`
	}
	json.Unmarshal([]byte(out), &d)
	if len(d.Changes) != 1 || d.Changes[0].Kind != "fixed" || d.Changes[0].Resource != "arn:aws:s3:::e2e-bare" {
		t.Errorf("diff = %+v, want e2e-bare fixed", d.Changes)
	}
	if code, out, _ := e.auditpack(t, "history", "prune", "--keep", "1"); code != 0 || !strings.Contains(out, first) {
		t.Errorf("prune --keep 1: exit %d\n%s", code, out)
	}
	if m, _ := filepath.Glob(filepath.Join(e.out, "auditpack-*.zip")); len(m) != 1 {
		t.Errorf("bundles after prune = %v, want one", m)
	}
}

func unzip(t *testing.T, path, dir string) {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// silentListener accepts connections on loopback and never replies.
func silentListener(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	return l.Addr().String()
}

func TestSilentEndpointTimesOut(t *testing.T) {
	e := newE2E(t, "high", "")
	cfg, _ := os.ReadFile(e.config)
	silent := strings.Replace(string(cfg), "endpoint: http://127.0.0.1:", "call_timeout: 300ms\n  endpoint: http://"+silentListener(t)+"#", 1)
	e.writeFile(t, "auditpack.yaml", silent)
	start := time.Now()
	code, stdout, stderr := e.auditpack(t, "run", "--checks", "aws.s3.versioning,postgres.auditlog.retention", "--fail-on", "medium")
	if elapsed := time.Since(start); elapsed > 30*time.Second {
		t.Errorf("run took %s against a silent endpoint", elapsed)
	}
	if code != ExitIncomplete {
		t.Fatalf("exit code = %d, want 2\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	r := e.results(t)
	assessed, awsErrors := false, 0
	for _, f := range r.Findings {
		switch f.CheckID {
		case "postgres.auditlog.retention":
			assessed = f.Status == controls.StatusPass
		case "aws.s3.versioning":
			awsErrors++
			if f.Status != controls.StatusError || !strings.Contains(f.Message, "timeout") && !strings.Contains(f.Message, "deadline") && !strings.Contains(f.Message, "Timeout") {
				t.Errorf("aws.s3.versioning %s = %s %q, want an error naming the timeout", f.Resource, f.Status, f.Message)
			}
		}
	}
	if !assessed {
		t.Errorf("the database was not assessed while AWS hung: %+v", r.Findings)
	}
	if awsErrors == 0 {
		t.Error("no aws.s3.versioning error finding for the silent endpoint")
	}
}

func TestCollectorSelectionDropsItsChecks(t *testing.T) {
	e := newE2E(t, "high", "")
	code, _, stderr := e.auditpack(t, "run", "--collectors", "postgres.*")
	if code != ExitFailed {
		t.Fatalf("exit code = %d, want 1 (the audit-log outage)\n%s", code, stderr)
	}
	r := e.results(t)
	for _, f := range r.Findings {
		if strings.HasPrefix(f.CheckID, "aws.") {
			t.Errorf("finding of deselected collector: %s %s %s", f.CheckID, f.Status, f.Message)
		}
	}
	for _, c := range r.Checks {
		if strings.HasPrefix(c.ID, "aws.") && c.Selected {
			t.Errorf("check %s is marked selected although its collector was not", c.ID)
		}
	}
	// Re-evaluation judges the same checks.
	again := filepath.Join(e.dir, "again")
	e.auditpack(t, "evaluate", "--bundle", e.bundle(t), "--output-dir", again)
	want, _ := os.ReadFile(filepath.Join(e.out, "results.json"))
	got, _ := os.ReadFile(filepath.Join(again, "results.json"))
	if string(got) != string(want) {
		t.Error("evaluate --bundle differs from the run with --collectors")
	}
}

func TestTamperedBundleNotReevaluated(t *testing.T) {
	e := newE2E(t, "none", "")
	if code, _, stderr := e.auditpack(t, "run", "--checks", "aws.s3.versioning"); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	files := readZip(t, e.bundle(t))
	for name, data := range files {
		if strings.HasPrefix(name, "evidence/aws.s3.bucket/") && strings.Contains(name, "e2e-bare") {
			files[name] = append(data, ' ')
		}
	}
	tampered := filepath.Join(e.dir, "tampered.zip")
	writeTestZip(t, tampered, files)
	for _, args := range [][]string{{"evaluate", "--bundle", tampered}, {"report", "--bundle", tampered, "--formats", "junit"}} {
		code, _, stderr := e.auditpack(t, args...)
		if code != ExitUsage || !strings.Contains(stderr, "fails verification") {
			t.Errorf("%s on a tampered bundle: exit %d, want 3 naming the failed verification\n%s", args[0], code, stderr)
		}
	}
}
