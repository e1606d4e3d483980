package evidence

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// sampleBundle writes a small bundle and returns its entries.
func sampleBundle(t testing.TB, signer Signer) (string, map[string][]byte) {
	t.Helper()
	b := NewBundle("run-1")
	files := map[string][]byte{
		"results.json":                  []byte(`{"schema_version":"1.0"}` + "\n"),
		"config.json":                   []byte(`{"config":{}}` + "\n"),
		"evidence/aws.s3.bucket/a.json": []byte(`{"id":"a","resource":"arn:aws:s3:::a"}` + "\n"),
		"evidence/aws.s3.bucket/b.json": []byte(`{"id":"b","resource":"arn:aws:s3:::b"}` + "\n"),
		"report.pdf":                    bytes.Repeat([]byte("%PDF"), 50),
	}
	for p, d := range files {
		if err := b.Add(p, d); err != nil {
			t.Fatal(err)
		}
	}
	if s, ok := signer.(*Ed25519Signer); ok {
		pub, _ := MarshalPublicKey(s.Public())
		b.Add(PublicKeyName, pub)
	}
	path := filepath.Join(t.TempDir(), "bundle.zip")
	if _, err := b.WriteFile(path, signer); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	entries := map[string][]byte{}
	for _, f := range zr.File {
		data, err := readZipFile(f)
		if err != nil {
			t.Fatal(err)
		}
		entries[f.Name] = data
	}
	return path, entries
}

func zipBytes(t testing.TB, entries map[string][]byte) *zip.Reader {
	t.Helper()
	var names []string
	for n := range entries {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(entries[n])
	}
	zw.Close()
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return zr
}

func TestVerifyIntactBundle(t *testing.T) {
	path, _ := sampleBundle(t, nil)
	rep, err := Verify(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Errorf("intact bundle has problems: %+v", rep.Problems)
	}
	if rep.Signed {
		t.Error("unsigned bundle reported as signed")
	}
}

func TestBundleIsDeterministic(t *testing.T) {
	a, _ := sampleBundle(t, nil)
	b, _ := sampleBundle(t, nil)
	da, _ := os.ReadFile(a)
	db, _ := os.ReadFile(b)
	if !bytes.Equal(da, db) {
		t.Error("the same content gave two different zips")
	}
}

func TestBundleNeverOverwritten(t *testing.T) {
	path, _ := sampleBundle(t, nil)
	if _, err := NewBundle("run-2").WriteFile(path, nil); err == nil {
		t.Error("WriteFile replaced an existing bundle")
	}
}

// FuzzVerifyCatchesChanges changes bytes of file contents, adds, removes and
// renames files without rewriting the manifest, and expects verify to report
// every change. On a signed bundle a rewritten manifest is caught too.
func FuzzVerifyCatchesChanges(f *testing.F) {
	f.Add(uint8(0), uint8(0), uint16(3), uint8(1))
	f.Add(uint8(1), uint8(2), uint16(0), uint8(255))
	f.Add(uint8(2), uint8(4), uint16(9), uint8(7))
	f.Add(uint8(3), uint8(1), uint16(1), uint8(0))
	f.Add(uint8(4), uint8(3), uint16(2), uint8(9))
	priv, _, err := GenerateKey()
	if err != nil {
		f.Fatal(err)
	}
	signer, err := ParsePrivateKey(priv)
	if err != nil {
		f.Fatal(err)
	}
	_, unsigned := sampleBundle(f, nil)
	_, signed := sampleBundle(f, signer)

	f.Fuzz(func(t *testing.T, op, which uint8, pos uint16, xor uint8) {
		base := unsigned
		if op >= 4 {
			base = signed
		}
		entries := map[string][]byte{}
		var content []string
		for n, d := range base {
			entries[n] = append([]byte(nil), d...)
			if n != ManifestName && n != SumsName && n != SignatureName {
				content = append(content, n)
			}
		}
		sort.Strings(content)
		target := content[int(which)%len(content)]
		switch op % 5 {
		case 0: // change one byte
			if xor == 0 {
				xor = 1
			}
			d := entries[target]
			d[int(pos)%len(d)] ^= xor
		case 1: // remove a file
			delete(entries, target)
		case 2: // add a file
			entries["extra/"+strings.ReplaceAll(target, "/", "_")] = []byte{xor}
		case 3: // rename a file
			entries[target+".renamed"] = entries[target]
			delete(entries, target)
		case 4: // rewrite a file, the manifest and SHA256SUMS of a signed bundle
			entries[target] = append(entries[target], xor)
			sum := sha256.Sum256(entries[target])
			old := sha256.Sum256(base[target])
			entries[ManifestName] = bytes.Replace(entries[ManifestName], []byte(hex.EncodeToString(old[:])), []byte(hex.EncodeToString(sum[:])), 1)
			ms, nms := sha256.Sum256(base[ManifestName]), sha256.Sum256(entries[ManifestName])
			sums := bytes.Replace(entries[SumsName], []byte(hex.EncodeToString(old[:])), []byte(hex.EncodeToString(sum[:])), 1)
			entries[SumsName] = bytes.Replace(sums, []byte(hex.EncodeToString(ms[:])), []byte(hex.EncodeToString(nms[:])), 1)
		}
		rep, err := verifyZip(zipBytes(t, entries), nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK() {
			t.Fatalf("op %d on %s went unnoticed", op%5, target)
		}
	})
}

func TestVerifyCatchesRemovedSignature(t *testing.T) {
	priv, _, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ParsePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	_, entries := sampleBundle(t, signer)
	delete(entries, SignatureName)
	rep, err := verifyZip(zipBytes(t, entries), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() {
		t.Error("a signed bundle stripped of manifest.sig verified as intact")
	}
}
