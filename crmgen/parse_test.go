// SPDX-License-Identifier: Apache-2.0

package crmgen

import (
	"fmt"
	"strings"
	"testing"
)

// recorder is a handler that logs the parser's events and answers data
// rows with a scripted action.
type recorder struct {
	events []string
	answer map[int]action // by record number
}

func (r *recorder) startTable(t tableKind) { r.events = append(r.events, fmt.Sprintf("table %d", t)) }
func (r *recorder) startSub(_ tableKind, sub byte) {
	r.events = append(r.events, "sub "+string(sub))
}

func (r *recorder) dataRow(_ tableKind, sub byte, row *row) action {
	var cells []string
	for _, k := range row.cols.byPosition() {
		cells = append(cells, k+"="+row.get(k))
	}
	r.events = append(r.events, fmt.Sprintf("L%d %s", row.rec, strings.Join(cells, " ")))
	return r.answer[row.rec]
}

func runParser(t *testing.T, csv string, answer map[int]action) (*recorder, *diags, bool) {
	t.Helper()
	recs, err := ReadRecords(csv)
	if err != nil {
		t.Fatal(err)
	}
	d := &diags{file: "p.csv"}
	h := &recorder{answer: answer}
	return h, d, parse(recs, d, h)
}

func TestParserEvents(t *testing.T) {
	tests := []struct {
		name     string
		csv      string
		answer   map[int]action
		complete bool
		events   []string
		diags    string
	}{
		{
			name: "tables, comments, blanks and remarks",
			csv: "#title,PROPERTY\n\n,,,\n,property\n,,Name,VALUE\n#,,caption,x\n,,a,1,remark\n,,,,only remark\n" +
				"  # spaced comment,x\n,,\" b \n\n c \",\"\u3000v\u3000\"\n",
			complete: true,
			events:   []string{fmt.Sprintf("table %d", tableProperty), "L7 name=a value=1", "L10 name=b   c value=v"},
		},
		{
			name:     "primitive sub-tables; the letter row is the column header",
			csv:      ",PRIMITIVE\n,p,id,class,provider,type\n,,x,ocf,heartbeat,Dummy\n,A,type,name,value\n,,params,a,1\n,O,type,timeout\n,,start,1s\n",
			complete: true,
			events: []string{fmt.Sprintf("table %d", tablePrimitive), "sub p", "L3 id=x class=ocf provider=heartbeat type=Dummy",
				"sub a", "L5 type=params name=a value=1", "sub o", "L7 type=start timeout=1s"},
		},
		{
			name:     "A before P skips the table until the next keyword",
			csv:      ",PRIMITIVE\n,A,type,name,value\n,,params,a,1\n,O,type\n,,start\n,PROPERTY\n,,name,value\n,,a,1\n",
			complete: true,
			events:   []string{fmt.Sprintf("table %d", tablePrimitive), fmt.Sprintf("table %d", tableProperty), "L8 name=a value=1"},
			diags:    "ERROR : p.csv(L2): フォーマット・エラーが見つかりました。\nERROR : p.csv(L2): Primitiveリソース表の定義が正しくありません。\n",
		},
		{
			name:     "builder asks to skip the rest of a table",
			csv:      ",PROPERTY\n,,name,value\n,,a,1\n,,b,2\n,RSC_DEFAULTS\n,,name,value\n,,c,3\n",
			answer:   map[int]action{3: actSkipTable},
			complete: true,
			events:   []string{fmt.Sprintf("table %d", tableProperty), "L3 name=a value=1", fmt.Sprintf("table %d", tableRscDefaults), "L7 name=c value=3"},
		},
		{
			name:     "builder stops reading",
			csv:      ",PROPERTY\n,,name,value\n,,a,1\n,,b,2\n",
			answer:   map[int]action{3: actStop},
			complete: false,
			events:   []string{fmt.Sprintf("table %d", tableProperty), "L3 name=a value=1"},
		},
		{
			name:     "data before any table stops reading",
			csv:      "#x\n,,a,b\n,PROPERTY\n",
			complete: false,
			diags:    "ERROR : p.csv(L2): フォーマット・エラーが見つかりました。\nERROR : p.csv(L2): 表ヘッダが設定されていません。\n",
		},
		{
			name:     "unknown keyword stops reading",
			csv:      ",PROPERTY\n,,name,value\n,OOPS\n,,a,1\n",
			complete: false,
			events:   []string{fmt.Sprintf("table %d", tableProperty)},
			diags:    "ERROR : p.csv(L3): フォーマット・エラーが見つかりました。\nERROR : p.csv(L3): 未定義の表ヘッダ [OOPS](列B) が設定されています。\n",
		},
		{
			name:     "header problems: missing, duplicate, unknown, non-ASCII",
			csv:      ",NODE\n,,uname,ptype,name,uname,extra,ntype\n,ORDER\n,,first-rsc,then-rsc,score,名前\n,PRIMITIVE\n,P,id,class,provider,type\n,O,type,時間\n,,start,1s\n",
			complete: true,
			events: []string{fmt.Sprintf("table %d", tableNode), fmt.Sprintf("table %d", tableOrder), fmt.Sprintf("table %d", tablePrimitive),
				"sub p", "sub o", "L8 type=start 時間=1s"},
			diags: "ERROR : p.csv(L2): フォーマット・エラーが見つかりました。\nERROR : p.csv(L2): 'value'列が設定されていません。\n" +
				"ERROR : p.csv(L2): フォーマット・エラーが見つかりました。\nERROR : p.csv(L2): 'uname'列が複数設定されています。(列Cと列F)\n" +
				"WARN  : p.csv(L2): 未定義の列 [extra](列G) が設定されています。\n" +
				"WARN  : p.csv(L4): 未定義の列 [名前](列F) が設定されています。\n" +
				"WARN  : p.csv(L7): 列定義に全角文字が含まれています。[時間](列D)\n",
		},
		{
			name:     "short rows are padded; RESOURCES data may sit right of id",
			csv:      ",RESOURCES\n,,id,resourceItem,resourceItem\n,,a,Primitive\n,,b,,Primitive\n",
			complete: true,
			events:   []string{fmt.Sprintf("table %d", tableResources), "L3 id=a", "L4 id=b"},
		},
		{
			name:     "broken RESOURCES header stops reading",
			csv:      ",RESOURCES\n,,resourceItem,id,resourceItem\n,,Primitive,a\n",
			complete: false,
			events:   []string{fmt.Sprintf("table %d", tableResources)},
			diags:    "ERROR : p.csv(L2): フォーマット・エラーが見つかりました。\nERROR : p.csv(L2): リソース構成表の定義が正しくありません。\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, d, complete := runParser(t, tt.csv, tt.answer)
			if complete != tt.complete {
				t.Errorf("complete = %v, want %v", complete, tt.complete)
			}
			if got, want := strings.Join(h.events, "\n"), strings.Join(tt.events, "\n"); got != want {
				t.Errorf("events:\n%s\nwant:\n%s", got, want)
			}
			if got := diagText(d.list, int(LevelWarn)); got != tt.diags {
				t.Errorf("diagnostics:\n%s\nwant:\n%s", got, tt.diags)
			}
		})
	}
}

func TestNormalizers(t *testing.T) {
	cells := map[string]string{
		"  a  ":             "a",
		"\u3000a\u3000 ":    "a",
		"a\n\n\nb":          "a b",
		"\t\x1c a b \u180e": "a b",
		"":                  "",
	}
	for in, want := range cells {
		if got := normalizeCell(in); got != want {
			t.Errorf("normalizeCell(%q) = %q, want %q", in, got, want)
		}
	}
	scores := map[string]string{"inf": "INFINITY", "-Inf": "-INFINITY", "+infinity": "+INFINITY", "--inf": "--inf", "100": "100", "infx": "infx"}
	for in, want := range scores {
		if got := normalizeScore(in); got != want {
			t.Errorf("normalizeScore(%q) = %q, want %q", in, got, want)
		}
	}
	cols := map[string]string{"score:-inf": "score:-INFINITY", "SCORE:200": "score:200", "pingd:a:100": "pingd:a:100",
		"Ping:A:1": "ping:A:1", "diskd:x": "diskd:x", "score:": "", "ping:a": "", "diskd:a:b": "", "foo": ""}
	for in, want := range cols {
		if got, _ := locationColumn(in); got != want {
			t.Errorf("locationColumn(%q) = %q, want %q", in, got, want)
		}
	}
}
