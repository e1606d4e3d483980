package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// machine describes where the run happened.
type machine struct {
	CPUs      string
	CPUModel  string
	Memory    string
	Kernel    string
	LoadStart string
	Versions  []string
	// Commit is the measured commit, with a note when the work tree had
	// uncommitted changes.
	Commit string
}

func readMachine(ctx context.Context, h *harness) machine {
	m := machine{LoadStart: readLoad()}
	m.Commit = firstLine(ctx, "git", "-C", h.root, "rev-parse", "--short", "HEAD")
	if dirty := firstLine(ctx, "git", "-C", h.root, "status", "--porcelain", "--untracked-files=no"); dirty != "" && m.Commit != "" {
		m.Commit += " with uncommitted changes in the work tree"
	}
	m.CPUs = firstLine(ctx, "nproc")
	m.Kernel = firstLine(ctx, "uname", "-r")
	m.CPUModel = procField("/proc/cpuinfo", "model name")
	if v := procField("/proc/meminfo", "MemTotal"); v != "" {
		kb, err := strconv.Atoi(strings.TrimSuffix(v, " kB"))
		if err == nil {
			m.Memory = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
		} else {
			m.Memory = v
		}
	}
	for _, v := range [][]string{
		{"go", "version"},
		{"hyperfine", "--version"},
		{"aws", "--version"},
		{"python3", "-c", "import boto3, moto; print('boto3', boto3.__version__, '/ moto', moto.__version__)"},
	} {
		if line := firstLine(ctx, v[0], v[1:]...); line != "" {
			m.Versions = append(m.Versions, line)
		}
	}
	if line := firstLine(ctx, "sh", "-c", "$(ls /usr/lib/postgresql/*/bin/postgres 2>/dev/null | sort -V | tail -1 || echo postgres) --version"); line != "" {
		m.Versions = append(m.Versions, line)
	}
	return m
}

func firstLine(ctx context.Context, name string, args ...string) string {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil && len(out) == 0 {
		return ""
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}

// procField returns the value of the first "key: value" line of a /proc
// file.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// readLoad returns the 1, 5 and 15 minute load averages.
func readLoad() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
