// Package templates holds the prose that reports and the bundle show: section
// introductions, status meanings and notes attached to particular checks. The
// text lives in embedded text/template files so that it can be edited without
// touching the renderers.
//
// Layout: report/NAME.tmpl are report texts, rendered with Render("report/NAME");
// notes/CHECK_ID.tmpl is a note shown wherever findings of that check appear,
// rendered with CheckNote; bundle/ holds the texts of the evidence bundle,
// read through FS. A new folder of templates is added to the embed line
// below.
package templates

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"text/template"
)

//go:embed report notes bundle
var files embed.FS

// FS returns the embedded template files.
func FS() fs.FS { return files }

var (
	parsed   = map[string]*template.Template{}
	parsedMu sync.Mutex
)

func lookup(name string) (*template.Template, error) {
	parsedMu.Lock()
	defer parsedMu.Unlock()
	if t, ok := parsed[name]; ok {
		return t, nil
	}
	data, err := fs.ReadFile(files, name+".tmpl")
	if err != nil {
		return nil, fmt.Errorf("template %s not found: %w", name, err)
	}
	t, err := template.New(name).Option("missingkey=error").Parse(string(data))
	if err != nil {
		return nil, fmt.Errorf("parse template %s: %w", name, err)
	}
	parsed[name] = t
	return t, nil
}

// Render executes the template NAME (a path below the package without the
// .tmpl suffix, such as "report/summary-intro") with data. It trims the
// result and joins the lines of each paragraph, so template sources may wrap
// freely. A blank line separates paragraphs.
func Render(name string, data any) (string, error) {
	t, err := lookup(name)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("render template %s: %w", name, err)
	}
	return reflow(b.String()), nil
}

// MustRender is Render for templates shipped with the program, whose
// rendering a test keeps valid. It panics on an error.
func MustRender(name string, data any) string {
	s, err := Render(name, data)
	if err != nil {
		panic(err)
	}
	return s
}

// CheckNoteData is the input of a check note template.
type CheckNoteData struct {
	CheckID string
	// Period is the audit period as inclusive dates ("2026-10-01 to 2026-12-31").
	Period string
}

// CheckNote renders the note shown wherever findings of the check appear, and
// reports whether the check has one.
func CheckNote(checkID string, data CheckNoteData) (string, bool, error) {
	name := "notes/" + checkID
	if _, err := fs.Stat(files, name+".tmpl"); err != nil {
		return "", false, nil
	}
	data.CheckID = checkID
	s, err := Render(name, data)
	if err != nil {
		return "", false, err
	}
	return s, true, nil
}

// reflow trims the text and joins the lines of each paragraph with spaces.
// Lines starting with "- " stay separate list items.
func reflow(s string) string {
	var paras []string
	for _, p := range strings.Split(strings.TrimSpace(s), "\n\n") {
		var lines []string
		for _, l := range strings.Split(p, "\n") {
			l = strings.TrimSpace(l)
			if l == "" {
				continue
			}
			if len(lines) > 0 && !strings.HasPrefix(l, "- ") {
				lines[len(lines)-1] += " " + l
				continue
			}
			lines = append(lines, l)
		}
		if len(lines) > 0 {
			paras = append(paras, strings.Join(lines, "\n"))
		}
	}
	return strings.Join(paras, "\n\n")
}

// Definition is one "- term: meaning" line of a rendered list template.
type Definition struct {
	Term    string
	Meaning string
}

// Definitions renders a list template whose lines read "- term: meaning".
func Definitions(name string) ([]Definition, error) {
	text, err := Render(name, nil)
	if err != nil {
		return nil, err
	}
	var out []Definition
	for _, line := range strings.Split(text, "\n") {
		item, ok := strings.CutPrefix(strings.TrimSpace(line), "- ")
		if !ok {
			continue
		}
		term, meaning, ok := strings.Cut(item, ":")
		if !ok {
			return nil, fmt.Errorf("template %s: line %q has no \"term: meaning\" form", name, line)
		}
		out = append(out, Definition{Term: strings.TrimSpace(term), Meaning: strings.TrimSpace(meaning)})
	}
	return out, nil
}
