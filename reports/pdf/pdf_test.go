package pdf

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"golang.org/x/image/font/gofont/gomono"

	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/reports"
	"github.com/auditpack/auditpack/reports/internal/fixture"
)

// logRecords captures log output as decoded JSON records.
type logRecords struct{ buf bytes.Buffer }

func (l *logRecords) logger() *slog.Logger { return slog.New(slog.NewJSONHandler(&l.buf, nil)) }

func (l *logRecords) warnings(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["level"] == "WARN" {
			out = append(out, rec)
		}
	}
	return out
}

func render(t *testing.T, in *reports.Input) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := New().Write(in, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// needTool returns the path of a poppler tool. It fails the test under CI,
// where the tools are part of the install step, and skips it elsewhere.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found; install poppler-utils", name)
		}
		t.Skipf("%s not found; install poppler-utils to run this test", name)
	}
	return p
}

// pdfText extracts the text of pages first to last (0 for the whole file).
func pdfText(t *testing.T, data []byte, first, last int) string {
	t.Helper()
	tool := needTool(t, "pdftotext")
	path := filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-enc", "UTF-8"}
	if first > 0 {
		args = append(args, "-f", fmt.Sprint(first), "-l", fmt.Sprint(last))
	}
	out, err := exec.Command(tool, append(args, path, "-")...).Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// coreFonts are the standard Type 1 fonts of PDF readers; a report drawn
// with them garbles text outside Latin-1.
var coreFonts = []string{"Helvetica", "Times-Roman", "Times-Bold", "Courier", "Symbol", "ZapfDingbats", "Arial"}

func TestPDF_01_UnicodeNamesExtracted(t *testing.T) {
	var logs logRecords
	in := fixture.Small()
	in.Logger = logs.logger()
	data := render(t, in)
	text := pdfText(t, data, 0, 0)

	for _, want := range []string{fixture.UserJurgen, fixture.UserDorde, fixture.UserZoe, fixture.Bullet, fixture.AtLeast90} {
		if !strings.Contains(text, want) {
			t.Errorf("extracted text lacks %q", want)
		}
	}
	if !strings.Contains(text, "[U+674E][U+96F7]") {
		t.Error("extracted text lacks the [U+674E][U+96F7] placeholder for 李雷")
	}
	if strings.Contains(text, fixture.UserLi) {
		t.Error("李雷 was extracted although no embedded font has its glyphs")
	}
	for _, bad := range []string{"â€¢", "Ã¼", "ð", "\uFFFD"} {
		if strings.Contains(text, bad) {
			t.Errorf("extracted text contains mojibake %q", bad)
		}
	}

	var warned bool
	for _, w := range logs.warnings(t) {
		rec, _ := w["record"].(string)
		chars, _ := w["characters"].(string)
		if strings.Contains(rec, "aws.iam.console_mfa") && strings.Contains(rec, fixture.UserLi) && strings.Contains(chars, "U+674E") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning names the console_mfa record of %s with U+674E: %s", fixture.UserLi, logs.buf.String())
	}

	for _, name := range coreFonts {
		if bytes.Contains(data, []byte("/BaseFont /"+name)) {
			t.Errorf("PDF uses core font %s", name)
		}
	}
	if bytes.Contains(data, []byte("/Subtype /Type1")) {
		t.Error("PDF contains a Type 1 font")
	}
}

func TestPDF_01_FontsAreEmbeddedTrueType(t *testing.T) {
	tool := needTool(t, "pdffonts")
	path := filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(path, render(t, fixture.Small()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, path).Output()
	if err != nil {
		t.Fatalf("pdffonts: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")[2:]
	if len(lines) == 0 {
		t.Fatal("pdffonts lists no font")
	}
	for _, l := range lines {
		if !strings.Contains(l, "CID TrueType") || !strings.Contains(l, "Identity-H") || !strings.Contains(l, " yes ") {
			t.Errorf("font is not an embedded Unicode TrueType font: %s", l)
		}
	}
}

func TestPDFFallbackFontDrawsMissingCharacters(t *testing.T) {
	const font = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
	if _, err := os.Stat(font); err != nil {
		t.Skipf("fallback font %s not installed (fonts-dejavu-core)", font)
	}
	const georgian = "ნინო"
	var logs logRecords
	in := fixture.Small()
	in.Logger = logs.logger()
	in.PDFFallbackFont = font
	in.Results.Findings[0].Message = "reviewed by " + georgian
	text := pdfText(t, render(t, in), 0, 0)
	if !strings.Contains(text, "reviewed by "+georgian) {
		t.Errorf("Georgian name from the fallback font was not extracted exactly")
	}
	if !strings.Contains(text, "[U+674E]") {
		t.Error("a character the fallback font lacks too is not a placeholder")
	}
	for _, w := range logs.warnings(t) {
		if c, _ := w["characters"].(string); strings.Contains(c, "U+10DC") {
			t.Errorf("a character the fallback font has was reported missing: %v", w)
		}
	}
}

func TestPDFFallbackFontUnreadableWarns(t *testing.T) {
	var logs logRecords
	in := fixture.Small()
	in.Logger = logs.logger()
	in.PDFFallbackFont = filepath.Join(t.TempDir(), "missing.ttf")
	text := pdfText(t, render(t, in), 0, 0)
	if !strings.Contains(text, "[U+674E]") {
		t.Error("placeholder missing when the fallback font cannot be read")
	}
	found := false
	for _, w := range logs.warnings(t) {
		if p, _ := w["path"].(string); p == in.PDFFallbackFont {
			found = true
		}
	}
	if !found {
		t.Error("no warning names the unreadable fallback font")
	}
}

func TestPDFContainsSectionsAndFacts(t *testing.T) {
	in := fixture.Small()
	data := render(t, in)
	// Lines wrapped at a space read as one line once line breaks are spaces.
	text := strings.ReplaceAll(pdfText(t, data, 0, 0), "\n", " ")
	for _, c := range in.Results.Criteria {
		if !strings.Contains(text, c.ID) {
			t.Errorf("criterion %s missing from the PDF", c.ID)
		}
	}
	for _, want := range []string{
		"2026-10-01 to 2026-12-31", in.Results.Run.ID, in.ResultsSHA256, "2026-12-04T12:00:00Z", "auditpack 0.4.0",
		"Executive summary", "Control matrix", "Findings by criterion and check", "Exceptions: findings that could not be assessed", "Evidence appendix",
		"2 of 3 resources assessed", "last 30 days", "Backup Audit Manager",
		"arn:aws:iam::111122223333:root (root user)", "W-2026-004", "MISSING manual evidence", "Code of conduct, approved 2026-09-12",
		"s3:GetBucketVersioning failed with AccessDenied", "SELECT name, setting FROM pg_settings", "Page 1 of",
		"First / last call (UTC)", "region not enabled",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
}

func TestPDFExceptionsListEveryErrorFinding(t *testing.T) {
	in := fixture.Small()
	text := pdfText(t, render(t, in), 0, 0)
	_, after, ok := strings.Cut(text, "Exceptions: findings that could not be assessed\n")
	if !ok {
		t.Fatal("exceptions section missing")
	}
	section, _, _ := strings.Cut(after, "Evidence appendix\n")
	for _, f := range in.Results.Findings {
		if f.Status != controls.StatusError {
			continue
		}
		if !strings.Contains(section, f.CheckID) || !strings.Contains(section, strings.SplitN(f.Message, ":", 2)[0]) {
			t.Errorf("exceptions section lacks %s on %s", f.CheckID, f.Resource)
		}
	}
}

func utf16Title(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return b
}

func TestPDFOutlineHasSections(t *testing.T) {
	data := render(t, fixture.Small())
	if !bytes.Contains(data, []byte("/Type /Outlines")) {
		t.Fatal("PDF has no outline")
	}
	for _, title := range []string{"Cover", "Executive summary", "Control matrix", "Findings by criterion and check", "Evidence appendix", "CC6.1", "Collector aws.s3"} {
		if !bytes.Contains(data, utf16Title(title)) {
			t.Errorf("outline lacks a bookmark %q", title)
		}
	}
}

func TestPDFDeterministic(t *testing.T) {
	monoSum := sha256.Sum256(gomono.TTF)
	a, b, c := render(t, fixture.Small()), render(t, fixture.Small()), render(t, fixture.Small())
	if !bytes.Equal(a, b) || !bytes.Equal(b, c) {
		t.Fatal("renders of the same input differ")
	}
	if sha256.Sum256(gomono.TTF) != monoSum {
		t.Error("rendering changed the embedded Go Mono font data")
	}
	if !bytes.Contains(a, []byte("/CreationDate (D:20261204120000")) {
		t.Error("creation date is not the evaluation time")
	}
}

func TestPDFRowTallerThanPageSplits(t *testing.T) {
	in := fixture.Small()
	var lines []string
	for i := 1; i <= 160; i++ {
		lines = append(lines, fmt.Sprintf("detail-line-%03d", i))
	}
	for i := range in.Results.Findings {
		if in.Results.Findings[i].CheckID == "aws.s3.versioning" && in.Results.Findings[i].Status == controls.StatusFail {
			in.Results.Findings[i].Message = strings.Join(lines, "\n")
		}
	}
	data := render(t, in)
	pages := 0
	next := 1
	for page := 1; page <= 40 && next <= len(lines); page++ {
		text := pdfText(t, data, page, page)
		if !strings.Contains(text, lines[next-1]) {
			if pages > 0 {
				t.Fatalf("row continues no further than %s on page %d", lines[next-2], page-1)
			}
			continue
		}
		pages++
		if !strings.Contains(text, "Resource") || !strings.Contains(text, "Message") || !strings.Contains(text, "Evidence file") {
			t.Errorf("page %d lacks the repeated table header", page)
		}
		for next <= len(lines) && strings.Contains(text, lines[next-1]) {
			next++
		}
	}
	if next <= len(lines) {
		t.Fatalf("lines from %s on are missing", lines[next-1])
	}
	if pages < 2 {
		t.Errorf("a row taller than a page was drawn on %d page", pages)
	}
}

func TestPDF_01_CJKFallbackFont(t *testing.T) {
	const font = "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf"
	if _, err := os.Stat(font); err != nil {
		t.Skipf("CJK fallback font %s not installed (fonts-ipafont-gothic)", font)
	}
	var logs logRecords
	in := fixture.Small()
	in.Logger = logs.logger()
	in.PDFFallbackFont = font
	text := pdfText(t, render(t, in), 0, 0)
	if !strings.Contains(text, fixture.UserLi) {
		t.Errorf("extracted text lacks %s drawn from the fallback font", fixture.UserLi)
	}
	if strings.Contains(text, "[U+674E]") {
		t.Error("李 is a placeholder although the fallback font has it")
	}
	for _, want := range []string{fixture.UserJurgen, fixture.UserDorde, fixture.UserZoe} {
		if !strings.Contains(text, want) {
			t.Errorf("extracted text lacks %q", want)
		}
	}
	if w := logs.warnings(t); len(w) != 0 {
		t.Errorf("warnings although every character was drawn: %v", w)
	}
}
