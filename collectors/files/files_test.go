package files

import "testing"

func TestRestoreLogStrayQuoteSpoilsOnlyItsLine(t *testing.T) {
	log := &RestoreTestLog{Path: "drills.csv"}
	data := []byte("date,system,backup,result,time_to_restore\n2026-11-01,orders-db,snap-1,success,1h\n2026-11-02,\"billing-db,snap-2,success,2h\n2026-11-03,search,snap-3,success,3h\n")
	if err := parseRestoreCSV(log, data); err != nil {
		t.Fatal(err)
	}
	if len(log.LineErrors) != 1 || log.LineErrors[0].Line != 3 {
		t.Fatalf("line errors = %+v, want one on line 3", log.LineErrors)
	}
	if len(log.Drills) != 2 {
		t.Errorf("drills read = %d, want the two good lines around the broken one", len(log.Drills))
	}
}

func TestSplitCSVLinesNumbersAndComments(t *testing.T) {
	lines := splitCSVLines("a,b\r\n\n# note\n\"x,y\n1,2\n", '#')
	if len(lines) != 3 {
		t.Fatalf("lines = %+v, want header, the broken line and 1,2", lines)
	}
	if lines[1].Number != 4 || lines[1].Err == nil {
		t.Errorf("line 4 = %+v, want a parse error", lines[1])
	}
	if lines[2].Number != 5 || len(lines[2].Fields) != 2 {
		t.Errorf("line 5 = %+v, want two fields", lines[2])
	}
}
