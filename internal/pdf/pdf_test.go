package pdf

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func sample(rows int) Doc {
	t := &Table{Columns: []string{"号牌", "品牌型号", "里程（公里）"}, Widths: []float64{1, 2, 1}, Right: []bool{false, false, true}}
	for i := range rows {
		t.Rows = append(t.Rows, []string{fmt.Sprintf("苏D%05d", i), "别克GL8 商务车（七座）", fmt.Sprint(i * 13)})
	}
	return Doc{
		Title:  "公务用车派车单",
		Number: "编号：D20260301-0007",
		Issuer: "常州市机关事务管理局",
		Fields: []Field{{Label: "用车人", Value: "张伟"}, {Label: "驾驶员", Value: "李强"},
			{Label: "事由", Value: strings.Repeat("赴武进区调研公务用车管理改革工作，", 6), Wide: true}},
		Sections:  []Section{{Heading: "车辆", Table: t, Paragraphs: []string{"本单一式两联。"}}},
		Signature: []string{"调度员", "驾驶员", "用车人"},
		Footer:    "govfleet 打印",
	}
}

func TestTextSaysWhatTheDocSays(t *testing.T) {
	b, err := Bytes(sample(120))
	if err != nil {
		t.Fatal(err)
	}
	text, err := Text(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"公务用车派车单", "编号：D20260301-0007", "张伟", "李强", "苏D00000", "苏D00119", "别克GL8 商务车（七座）", "1547", "调度员 签字：", "第 2 页", "本单一式两联。"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text[:min(len(text), 600)])
		}
	}
	// wrapped text keeps every character
	if got := strings.Count(strings.ReplaceAll(text, "\n", ""), "公务用车管理改革工作"); got != 6 {
		t.Errorf("wrapped reason: %d of 6 copies", got)
	}
	if len(b) > 200_000 {
		t.Errorf("PDF is %d bytes: the font is not subset", len(b))
	}
	t.Logf("%d rows: %d bytes", 120, len(b))
	os.WriteFile(os.TempDir()+"/govfleet-pdf-sample.pdf", b, 0o644)
}

func TestFontParsedOnce(t *testing.T) {
	for range 3 {
		if _, err := Bytes(sample(1)); err != nil {
			t.Fatal(err)
		}
	}
	if fontParses != 1 {
		t.Fatalf("the embedded font was parsed %d times", fontParses)
	}
}

func TestMissingGlyphsAndEmptyTables(t *testing.T) {
	d := Doc{Title: "空表 😀 \u0001", Sections: []Section{{Heading: "无行", Table: &Table{Columns: []string{"甲", "乙"}}}}}
	b, err := Bytes(d)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := Text(b)
	if !strings.Contains(text, "（无）") || !strings.Contains(text, "空表") {
		t.Fatalf("text: %q", text)
	}
}

func BenchmarkDispatchSheetDoc(b *testing.B) {
	d := sample(3)
	for b.Loop() {
		if _, err := Bytes(d); err != nil {
			b.Fatal(err)
		}
	}
}
