// SPDX-License-Identifier: Apache-2.0

package crmgen

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// behaviourCases are small sheets, each about one rule of the format, with
// the exit status, output and -V diagnostics that pm_crmgen 2.2 produced for
// them (recorded with the reference tool; pgrex must match byte for byte).
var behaviourCases = []struct {
	name, flags, csv string
	status           int
	stdout, stderr   string
}{
	{
		name:  "location touched again moves to the end",
		flags: "",
		csv: `,RESOURCES
,,resourceItem,resourceItem,id
,,Primitive,,a
,,Primitive,,b
,PRIMITIVE
,P,id,class,provider,type
,,a,ocf,heartbeat,Dummy
,PRIMITIVE
,P,id,class,provider,type
,,b,ocf,heartbeat,Dummy
,LOCATION
,,rsc,score:200,score:-inf
,,a,n1
,,b,n2
,,a,,n3
`,
		status: 0,
		stdout: `### Primitive Configuration ###
primitive a ocf:heartbeat:Dummy

primitive b ocf:heartbeat:Dummy

### Resource Location ###
location rsc_location-b-1 b \
	rule 200: #uname eq n2
location rsc_location-a-2 a \
	rule 200: #uname eq n1 \
	rule -INFINITY: #uname eq n3
`,
		stderr: ``,
	},
	{
		name:  "repeated location rule warns and is kept",
		flags: "",
		csv: `,RESOURCES
,,resourceItem,resourceItem,id
,,Primitive,,a
,PRIMITIVE
,P,id,class,provider,type
,,a,ocf,heartbeat,Dummy
,LOCATION
,,rsc,score:100
,,a,n1 n1
`,
		status: 2,
		stdout: `### Primitive Configuration ###
primitive a ocf:heartbeat:Dummy

### Resource Location ###
location rsc_location-a-1 a \
	rule 100: #uname eq n1 \
	rule 100: #uname eq n1
`,
		stderr: `WARN  : t.csv(L9): 列Dの設定による制約は既に指定されています。(9行目、列D)
`,
	},
	{
		name:  "pingd column implies colocation and order",
		flags: "",
		csv: `,RESOURCES
,,resourceItem,resourceItem,id
,,Clone,,cp
,,,Primitive,ping1
,,Primitive,,a
,PRIMITIVE
,P,id,class,provider,type
,,ping1,ocf,pacemaker,ping
,A,type,name,value
,,params,name,default_ping_set
,PRIMITIVE
,P,id,class,provider,type
,,a,ocf,heartbeat,Dummy
,LOCATION
,,rsc,ping:default_ping_set:100
,,a,yes
`,
		status: 0,
		stdout: `### Clone Configuration ###
clone cp \
	ping1

### Primitive Configuration ###
primitive ping1 ocf:pacemaker:ping \
	params \
		name="default_ping_set"

primitive a ocf:heartbeat:Dummy

### Resource Location ###
location rsc_location-a-1 a \
	rule -INFINITY: not_defined default_ping_set or default_ping_set lt 100

### Resource Colocation ###
colocation rsc_colocation-a-cp-1 INFINITY: a cp

### Resource Order ###
order rsc_order-cp-a-1 0: cp a symmetrical=false
`,
		stderr: ``,
	},
	{
		name:  "-C keeps only the implied order",
		flags: "-C",
		csv: `,RESOURCES
,,resourceItem,resourceItem,id
,,Clone,,cp
,,,Primitive,ping1
,,Primitive,,a
,PRIMITIVE
,P,id,class,provider,type
,,ping1,ocf,pacemaker,ping
,A,type,name,value
,,params,name,default_ping_set
,PRIMITIVE
,P,id,class,provider,type
,,a,ocf,heartbeat,Dummy
,LOCATION
,,rsc,ping:default_ping_set:100
,,a,yes
`,
		status: 0,
		stdout: `### Clone Configuration ###
clone cp \
	ping1

### Primitive Configuration ###
primitive ping1 ocf:pacemaker:ping \
	params \
		name="default_ping_set"

primitive a ocf:heartbeat:Dummy

### Resource Location ###
location rsc_location-a-1 a \
	rule -INFINITY: not_defined default_ping_set or default_ping_set lt 100

### Resource Order ###
order rsc_order-cp-a-1 0: cp a symmetrical=false
`,
		stderr: ``,
	},
	{
		name:  "explicit constraint replaces the implied one",
		flags: "",
		csv: `,RESOURCES
,,resourceItem,resourceItem,id
,,Clone,,cp
,,,Primitive,ping1
,,Primitive,,a
,PRIMITIVE
,P,id,class,provider,type
,,ping1,ocf,pacemaker,ping
,A,type,name,value
,,params,name,default_ping_set
,PRIMITIVE
,P,id,class,provider,type
,,a,ocf,heartbeat,Dummy
,LOCATION
,,rsc,ping:default_ping_set:100
,,a,yes
,COLOCATION
,,rsc,with-rsc,score
,,cp,a,100
,,a,cp,inf
,ORDER
,,first-rsc,then-rsc,score,symmetrical
,,cp,a,0,no
`,
		status: 0,
		stdout: `### Clone Configuration ###
clone cp \
	ping1

### Primitive Configuration ###
primitive ping1 ocf:pacemaker:ping \
	params \
		name="default_ping_set"

primitive a ocf:heartbeat:Dummy

### Resource Location ###
location rsc_location-a-1 a \
	rule -INFINITY: not_defined default_ping_set or default_ping_set lt 100

### Resource Colocation ###
colocation rsc_colocation-cp-a-1 100: cp a
colocation rsc_colocation-a-cp-2 INFINITY: a cp

### Resource Order ###
order rsc_order-cp-a-1 0: cp a symmetrical=false
`,
		stderr: ``,
	},
	{
		name:  "implied constraint needs the agent's primitive",
		flags: "",
		csv: `,RESOURCES
,,resourceItem,resourceItem,id
,,Primitive,,a
,PRIMITIVE
,P,id,class,provider,type
,,a,ocf,heartbeat,Dummy
,LOCATION
,,rsc,diskd:diskcheck_status
,,a,y
`,
		status: 1,
		stdout: ``,
		stderr: `ERROR : t.csv(L9): フォーマット・エラーが見つかりました。
ERROR : t.csv(L9): パラメータ [(name=) diskcheck_status] を設定した「diskdリソース」が特定できません。
crmファイル生成中にエラーが発生しました。処理を中止します。
`,
	},
	{
		name:  "invalid flag warns and counts as no",
		flags: "",
		csv: `,RESOURCES
,,resourceItem,resourceItem,id
,,Primitive,,a
,PRIMITIVE
,P,id,class,provider,type
,,a,ocf,heartbeat,Dummy
,LOCATION
,,rsc,diskd:diskcheck_status,score:1
,,a,maybe
,,a,,n1
`,
		status: 2,
		stdout: `### Primitive Configuration ###
primitive a ocf:heartbeat:Dummy

### Resource Location ###
location rsc_location-a-1 a \
	rule 1: #uname eq n1
`,
		stderr: `WARN  : t.csv(L9): 無効な値 [maybe](列D) が設定されています。
WARN  : t.csv(L9): 配置制約対象のリソースID ('rsc'列) のみ設定されています。
`,
	},
	{
		name:  "rule-scoped params",
		flags: "",
		csv: `,RESOURCES
,,resourceItem,resourceItem,id
,,Primitive,,pg
,PRIMITIVE
,P,id,class,provider,type
,,pg,ocf,heartbeat,pgsql
,A,type,rule,name,value
,,params,1: rule #uname eq pm01,start_opt,-p 5432
,,,,pgport,5432
,,params,1: rule #uname eq pm02,start_opt,-p 5433
,,params,,pgctl,/usr/bin/pg_ctl
,,meta,,target-role,Stopped
,,params,1: rule #uname eq pm01,psql,/x
,,params,,pgdata,/d
`,
		status: 0,
		stdout: `### Primitive Configuration ###
primitive pg ocf:heartbeat:pgsql \
	params 1: rule #uname eq pm01 \
		start_opt="-p 5432" \
		pgport="5432" \
		psql="/x" \
	params 1: rule #uname eq pm02 \
		start_opt="-p 5433" \
	params \
		pgctl="/usr/bin/pg_ctl" \
		pgdata="/d" \
	meta \
		target-role="Stopped"
`,
		stderr: ``,
	},
	{
		name:  "fencing topology sorts by index text then node",
		flags: "",
		csv: `,RESOURCES
,,resourceItem,resourceItem,id
,,Primitive,,s1
,,Primitive,,s2
,,Primitive,,s3
,PRIMITIVE
,P,id,class,provider,type
,,s1,stonith,,external/ipmi
,PRIMITIVE
,P,id,class,provider,type
,,s2,stonith,,external/ipmi
,PRIMITIVE
,P,id,class,provider,type
,,s3,stonith,,external/ipmi
,FENCING_TOPOLOGY
,,node,rsc,index
,,pm02,s3,10
,,,s1,2
,,pm01,s1,1
,,,s2,1
,,,s3,2
,,,s2,０
`,
		status: 1,
		stdout: ``,
		stderr: `WARN  : t.csv(L22): 設定値に全角文字が含まれています。[０](列E)
ERROR : t.csv(L22): フォーマット・エラーが見つかりました。
ERROR : t.csv(L22): 無効な値 [０](列E) が設定されています。
crmファイル生成中にエラーが発生しました。処理を中止します。
`,
	},
	{
		name:  "fencing index must be a positive number",
		flags: "",
		csv: `,RESOURCES
,,resourceItem,resourceItem,id
,,Primitive,,s1
,PRIMITIVE
,P,id,class,provider,type
,,s1,stonith,,external/ipmi
,FENCING_TOPOLOGY
,,node,rsc,index
,,pm01,s1,0
,,pm01,s1,x
,,pm01,s1,１
`,
		status: 1,
		stdout: ``,
		stderr: `ERROR : t.csv(L9): フォーマット・エラーが見つかりました。
ERROR : t.csv(L9): 無効な値 [0](列E) が設定されています。
ERROR : t.csv(L10): フォーマット・エラーが見つかりました。
ERROR : t.csv(L10): 無効な値 [x](列E) が設定されています。
WARN  : t.csv(L11): 設定値に全角文字が含まれています。[１](列E)
crmファイル生成中にエラーが発生しました。処理を中止します。
`,
	},
	{
		name:  "additional config keeps lines and joins continuations",
		flags: "",
		csv: `,ADDITIONAL_CONFIG
,,config
,,"  order o1 0: a \\  
  b   

c　"
,,colocation c1 inf: x y
`,
		status: 0,
		stdout: `### Additional Config ###
  order o1 0: a \
  b \
 \
c
colocation c1 inf: x y
`,
		stderr: ``,
	},
	{
		name:  "alert with recipients",
		flags: "",
		csv: `,ALERT
,P,path
,,/a.sh
,A,type,name,value
,,attributes,k1,v1
,,meta,timeout,10s
,R,recipient
,,10.0.0.1
,A,type,name,value
,,attributes,k2,v2
,R,recipient
,,10.0.0.2
`,
		status: 0,
		stdout: `### Alert Configuration ###
alert alert_1 /a.sh \
	attributes \
		k1="v1" \
	meta \
		timeout="10s" \
	to 10.0.0.1 \
		attributes \
			k2="v2" \
	to 10.0.0.2
`,
		stderr: ``,
	},
	{
		name:  "alert recipients in brackets",
		flags: "-b",
		csv: `,ALERT
,P,path
,,/a.sh
,R,recipient
,,10.0.0.1
,A,type,name,value
,,attributes,k2,v2
`,
		status: 0,
		stdout: `### Alert Configuration ###
alert alert_1 /a.sh \
	to { 10.0.0.1 \
		attributes \
			k2="v2" }
`,
		stderr: ``,
	},
	{
		name:  "alert attributes need a recipient after R",
		flags: "",
		csv: `,ALERT
,P,path
,,/a.sh
,R,recipient
,A,type,name,value
,,attributes,k2,v2
`,
		status: 1,
		stdout: ``,
		stderr: `ERROR : t.csv(L6): フォーマット・エラーが見つかりました。
ERROR : t.csv(L6): 直前の'recipient'列に値が設定されていません。
crmファイル生成中にエラーが発生しました。処理を中止します。
`,
	},
	{
		name:  "node attributes and ntype carry-over",
		flags: "",
		csv: `,NODE
,,uname,ntype,ptype,name,value
,,pm01,normal,attributes,standby,off
,,,,utilization,capacity,1
,,,member,,cpu,2
,,pm02,,attributes,standby,on
,,pm01,normal,attributes,standby,on
`,
		status: 2,
		stdout: `### Cluster Node ###
node pm01:normal \
	attributes \
		standby="off" \
		standby="on" \
	utilization \
		capacity="1" \
		cpu="2"
node pm02 \
	attributes \
		standby="on"
`,
		stderr: `WARN  : t.csv(L5): 'ntype'列に値が設定されています。
WARN  : t.csv(L7): 項目 ('name'列) の値 [standby] は既に設定されています。(3行目)
`,
	},
	{
		name:  "master is ms and may hold a group",
		flags: "",
		csv: `,RESOURCES
,,resourceItem,resourceItem,resourceItem,id
,,Master,,,m1
,,,Group,,g1
,,,,Primitive,p1
,,,,Primitive,p2
,PRIMITIVE
,P,id,class,provider,type
,,p1,ocf,heartbeat,Dummy
,PRIMITIVE
,P,id,class,provider,type
,,p2,ocf,heartbeat,Dummy
,RSC_ATTRIBUTES
,,id,type,name,value
,,m1,meta,notify,true
,,,params,x,1
,,g1,meta,y,2
`,
		status: 0,
		stdout: `### Master/Slave Configuration ###
ms m1 \
	g1 \
	meta \
		notify="true" \
	params \
		x="1"

### Group Configuration ###
group g1 \
	p1 \
	p2 \
	meta \
		y="2"

### Primitive Configuration ###
primitive p1 ocf:heartbeat:Dummy

primitive p2 ocf:heartbeat:Dummy
`,
		stderr: ``,
	},
	{
		name:  "non-ASCII values and column names warn",
		flags: "",
		csv: `,RESOURCES
,,resourceItem,resourceItem,id
,,Primitive,,a
,PRIMITIVE
,P,id,class,provider,type
,,a,ocf,heartbeat,Dummy
,A,type,name,value
,,params,ip,１９２
,,,nic,a	b
,O,type,名前,timeout
,,start,x,60s
`,
		status: 2,
		stdout: `### Primitive Configuration ###
primitive a ocf:heartbeat:Dummy \
	params \
		ip="１９２" \
		nic="a	b" \
	op start 名前="x" timeout="60s"
`,
		stderr: `WARN  : t.csv(L8): 設定値に全角文字が含まれています。[１９２](列E)
WARN  : t.csv(L9): 設定値に全角文字が含まれています。[a	b](列E)
WARN  : t.csv(L10): 列定義に全角文字が含まれています。[名前](列D)
`,
	},
	{
		name:  "op row without attributes is dropped",
		flags: "",
		csv: `,RESOURCES
,,resourceItem,resourceItem,id
,,Primitive,,a
,PRIMITIVE
,P,id,class,provider,type
,,a,ocf,heartbeat,Dummy
,O,type,interval,timeout
,,start,,
,,monitor,10s,
,,stop,,60s
`,
		status: 0,
		stdout: `### Primitive Configuration ###
primitive a ocf:heartbeat:Dummy \
	op monitor interval="10s" \
	op stop timeout="60s"
`,
		stderr: ``,
	},
	{
		name:  "scores and symmetrical are normalised",
		flags: "",
		csv: `,RESOURCES
,,resourceItem,resourceItem,id
,,Primitive,,a
,,Primitive,,b
,PRIMITIVE
,P,id,class,provider,type
,,a,ocf,heartbeat,Dummy
,PRIMITIVE
,P,id,class,provider,type
,,b,ocf,heartbeat,Dummy
,COLOCATION
,,rsc,with-rsc,score,rsc-role,with-rsc-role
,,a,b,+Inf,Started,Master
,,a,b,-infinity
,,a,b,-infinity
,ORDER
,,first-rsc,then-rsc,score,first-action,then-action,symmetrical
,,a,b,INF,start,promote,Y
,,b,a,0,,,maybe
,RSC_TICKET
,,ticket,rsc,role,loss-policy
,,t1,a,Master,stop
,,t2,b
`,
		status: 2,
		stdout: `### Primitive Configuration ###
primitive a ocf:heartbeat:Dummy

primitive b ocf:heartbeat:Dummy

### Resource Colocation ###
colocation rsc_colocation-a-b-1 +INFINITY: a:Started b:Master
colocation rsc_colocation-a-b-2 -INFINITY: a b
colocation rsc_colocation-a-b-3 -INFINITY: a b

### Resource Order ###
order rsc_order-a-b-1 INFINITY: a:start b:promote symmetrical=true
order rsc_order-b-a-2 0: b a symmetrical=maybe

### Resource Ticket ###
rsc_ticket rsc_ticket-t1-1 t1: a:Master loss-policy=stop
rsc_ticket rsc_ticket-t2-2 t2: b
`,
		stderr: `WARN  : t.csv(L15): 同じ設定値が既に指定されています。(14行目)
WARN  : t.csv(L19): 無効な値 [maybe](列H) が設定されています。
`,
	},
	{
		name:  "location expert rules",
		flags: "",
		csv: `,RESOURCES
,,resourceItem,resourceItem,id
,,Primitive,,a
,,Primitive,,b
,PRIMITIVE
,P,id,class,provider,type
,,a,ocf,heartbeat,Dummy
,PRIMITIVE
,P,id,class,provider,type
,,b,ocf,heartbeat,Dummy
,LOCATION_EXPERT
,,rsc,score,bool_op,attribute,op,value,role,id_spec
,,a,200,,#uname,eq,n1,,$id=r1
,,,-inf,or,ping,not_defined,,Master
,,,,,ping,lt,100
,,b,,,,,,,$id-ref=r1
,,a,-INF,and,x,defined,v
,,,,or,y,eq,1,Slave,
`,
		status: 2,
		stdout: `### Primitive Configuration ###
primitive a ocf:heartbeat:Dummy

primitive b ocf:heartbeat:Dummy

### Resource Location ###
location rsc_location-a-1 a \
	rule $id=r1 200: #uname eq n1 \
	rule $role="Master" -INFINITY: not_defined ping or ping lt 100 \
	rule -INFINITY: defined x and y eq 1
location rsc_location-b-2 b \
	rule $id-ref=r1
`,
		stderr: `WARN  : t.csv(L17): 'value'列に値が設定されています。
WARN  : t.csv(L18): 'bool_op'列に値が設定されています。
WARN  : t.csv(L18): 'role'列に値が設定されています。
`,
	},
	{
		name:  "location expert: second expression needs bool_op",
		flags: "",
		csv: `,RESOURCES
,,resourceItem,resourceItem,id
,,Primitive,,a
,PRIMITIVE
,P,id,class,provider,type
,,a,ocf,heartbeat,Dummy
,LOCATION_EXPERT
,,rsc,score,bool_op,attribute,op,value
,,a,100,,p,eq,1
,,,,,q,eq,2
,,a,,,r,eq,3
`,
		status: 1,
		stdout: ``,
		stderr: `ERROR : t.csv(L10): フォーマット・エラーが見つかりました。
ERROR : t.csv(L10): 'bool_op'列に値が設定されていません。(9行目)
crmファイル生成中にエラーが発生しました。処理を中止します。
`,
	},
	{
		name:  "unknown table keyword stops reading",
		flags: "",
		csv: `,PROPERTY
,,name,value
,,,x
,NOPE
,PROPERTY
,,name,value
,,,y
`,
		status: 1,
		stdout: ``,
		stderr: `ERROR : t.csv(L3): フォーマット・エラーが見つかりました。
ERROR : t.csv(L3): 'name'列に値が設定されていません。
ERROR : t.csv(L4): フォーマット・エラーが見つかりました。
ERROR : t.csv(L4): 未定義の表ヘッダ [NOPE](列B) が設定されています。
crmファイル生成中にエラーが発生しました。処理を中止します。
`,
	},
	{
		name:  "error skips only the rest of its table",
		flags: "",
		csv: `,NODE
,,uname,ptype,name,value
,,pm01,bad,a,b
,,pm01,attributes,c,d
,PROPERTY
,,name,value
,,a,1
`,
		status: 1,
		stdout: ``,
		stderr: `ERROR : t.csv(L3): フォーマット・エラーが見つかりました。
ERROR : t.csv(L3): 未定義のパラメータ種別 [ptype: bad] が設定されています。
crmファイル生成中にエラーが発生しました。処理を中止します。
`,
	},
	{
		name:  "comments, blank cells and multi-line cells",
		flags: "",
		csv: `  # indented comment,PROPERTY
,PROPERTY
,,name,value
,,"multi


line", "  v 
 w　"
#,,commented,out
,,  ,   
,,empty,
`,
		status: 0,
		stdout: `### Cluster Option ###
property multi line=""  v" \
	empty=""
`,
		stderr: ``,
	},
	{
		name:  "attribute blocks keep first-use order",
		flags: "",
		csv: `,RESOURCES
,,resourceItem,resourceItem,id
,,Primitive,,a
,PRIMITIVE
,P,id,class,provider,type
,,a,ocf,heartbeat,Dummy
,A,type,name,value
,,meta,,
,,params,ip,1
,,meta,m,2
,,utilization,u,3
,,params,ip,4
,RSC_ATTRIBUTES
,,id,type,name,value
,,a,params,late,5
`,
		status: 2,
		stdout: `### Primitive Configuration ###
primitive a ocf:heartbeat:Dummy \
	meta \
		m="2" \
	params \
		ip="1" \
		ip="4" \
		late="5" \
	utilization \
		u="3"
`,
		stderr: `WARN  : t.csv(L12): 項目 ('name'列。aのparamsパラメータ) の値 [ip] は既に設定されています。(9行目)
`,
	},
	{
		name:  "primitive table errors",
		flags: "",
		csv: `,RESOURCES
,,resourceItem,resourceItem,id
,,Primitive,,a
,,Group,g
,,,Primitive,,b
,PRIMITIVE
,P,id,class,provider,type
,,a,,heartbeat,
,PRIMITIVE
,P,id,class,provider,type
,,g,ocf,heartbeat,Dummy
,PRIMITIVE
,P,id,class,provider,type
,,b,ocf,heartbeat,Dummy
,PRIMITIVE
,P,id,class,provider,type
,,b,ocf,heartbeat,Dummy
,PRIMITIVE
,O,type
`,
		status: 1,
		stdout: ``,
		stderr: `ERROR : t.csv(L4): フォーマット・エラーが見つかりました。
ERROR : t.csv(L4): 複数の'resourceItem'列に値が設定されています。
ERROR : t.csv(L4): フォーマット・エラーが見つかりました。
ERROR : t.csv(L4): 'id'列に値が設定されていません。
crmファイル生成中にエラーが発生しました。処理を中止します。
`,
	},
	{
		name:  "resources: depth and nesting errors",
		flags: "",
		csv: `,RESOURCES
,,resourceItem,resourceItem,resourceItem,id
,,,Primitive,,a
`,
		status: 1,
		stdout: ``,
		stderr: `ERROR : t.csv(L3): フォーマット・エラーが見つかりました。
ERROR : t.csv(L3): 'resourceItem'列 (リソース構成) の設定に誤りがあります。
crmファイル生成中にエラーが発生しました。処理を中止します。
`,
	},
	{
		name:  "resources: id column between resourceItem columns",
		flags: "",
		csv: `,RESOURCES
,,resourceItem,id,resourceItem
,,Primitive,,a
`,
		status: 1,
		stdout: ``,
		stderr: `ERROR : t.csv(L2): フォーマット・エラーが見つかりました。
ERROR : t.csv(L2): リソース構成表の定義が正しくありません。
crmファイル生成中にエラーが発生しました。処理を中止します。
`,
	},
	{
		name:  "no valid data",
		flags: "",
		csv: `#only,comments
,,
,PROPERTY
,,name,value
`,
		status: 2,
		stdout: ``,
		stderr: `WARN  : CSVファイルが不正です。(有効なデータが設定されていません。)
`,
	},
	{
		name:  "duplicate header in optional column",
		flags: "",
		csv: `,ORDER
,,first-rsc,then-rsc,score,symmetrical,symmetrical
`,
		status: 1,
		stdout: ``,
		stderr: `ERROR : t.csv(L2): フォーマット・エラーが見つかりました。
ERROR : t.csv(L2): 'symmetrical'列が複数設定されています。(列Fと列G)
crmファイル生成中にエラーが発生しました。処理を中止します。
`,
	},
	{
		name:  "LOCATION unknown column is an error",
		flags: "",
		csv: `,LOCATION
,,rsc,score:,ping:x,foo
`,
		status: 1,
		stdout: ``,
		stderr: `ERROR : t.csv(L2): フォーマット・エラーが見つかりました。
ERROR : t.csv(L2): 未定義の列 [score:](列D) が設定されています。
ERROR : t.csv(L2): フォーマット・エラーが見つかりました。
ERROR : t.csv(L2): 未定義の列 [ping:x](列E) が設定されています。
ERROR : t.csv(L2): フォーマット・エラーが見つかりました。
ERROR : t.csv(L2): 未定義の列 [foo](列F) が設定されています。
crmファイル生成中にエラーが発生しました。処理を中止します。
`,
	},
}

func TestBehaviour(t *testing.T) {
	for _, tt := range behaviourCases {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "t.csv")
			if err := os.WriteFile(path, []byte(tt.csv), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg := RunConfig{Input: path, Verbosity: 1}
			for _, f := range strings.Fields(tt.flags) {
				switch f {
				case "-C":
					cfg.NoAutoColocation = true
				case "-O":
					cfg.NoAutoOrder = true
				case "-b":
					cfg.AlertBrackets = true
				default:
					t.Fatalf("unknown flag %q", f)
				}
			}
			var stdout, stderr bytes.Buffer
			status := Run(cfg, &stdout, &stderr)
			if status != tt.status {
				t.Errorf("status %d, want %d", status, tt.status)
			}
			if stdout.String() != tt.stdout {
				t.Errorf("stdout: %s", firstDiff(stdout.String(), tt.stdout))
			}
			if stderr.String() != tt.stderr {
				t.Errorf("stderr: %s", firstDiff(stderr.String(), tt.stderr))
			}
		})
	}
}
