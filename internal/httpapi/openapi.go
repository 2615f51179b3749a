package httpapi

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode"

	"govfleet/internal/access"
	"govfleet/internal/errs"
)

var (
	openapiOnce sync.Once
	openapiDoc  map[string]any
)

// openapi serves the OpenAPI 3 document generated from the route table, so
// the document cannot drift from the routes.
func (s *Server) openapi(r *Request) (any, error) {
	openapiOnce.Do(func() { openapiDoc = buildOpenAPI(s.Routes()) })
	return openapiDoc, nil
}

// errorSchema is the body of every error: its code is one of errs.Codes,
// each answered with the HTTP status statusOf gives it.
func errorSchema() map[string]any {
	codes := make([]string, len(errs.Codes))
	statuses := make([]string, len(errs.Codes))
	for i, c := range errs.Codes {
		codes[i] = string(c)
		statuses[i] = fmt.Sprintf("%s：HTTP %d", c, statusOf[c])
	}
	return map[string]any{
		"type": "object",
		"properties": map[string]any{
			"error": map[string]any{
				"type": "object",
				"properties": map[string]any{
					"code":    map[string]any{"type": "string", "enum": codes, "description": "错误代码及其HTTP状态码：" + strings.Join(statuses, "；")},
					"message": map[string]any{"type": "string", "description": "中文说明"},
					"fields":  map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}, "description": "各字段的错误说明"},
				},
			},
		},
	}
}

// signingDoc describes the companies' request signing (auth/apikeys.go).
const signingDoc = "合作企业（保险公司等）的机器请求使用API密钥签名（R-23）。企业账号在「企业工作台 → API密钥」创建密钥，得到 key_id 与 secret（只显示一次）。每个请求带以下请求头：\n" +
	"- X-Key-Id: key_id\n- X-Timestamp: 签名时的 Unix 秒数，与服务器时间相差不得超过 ±300 秒\n" +
	"- X-Nonce: 每个请求新生成的随机串（16至64位字母、数字、-、_），同一密钥10分钟内不得重复\n" +
	"- X-Signature: hex(HMAC-SHA256(secret, METHOD + \"\\n\" + PATH + \"\\n\" + X-Timestamp + \"\\n\" + X-Nonce + \"\\n\" + hex(SHA-256(请求体))))，PATH 为含查询串的请求路径，如 /api/insurance/policies\n" +
	"- Idempotency-Key（写操作建议携带）: 同一键、同一请求体的重试（24小时内）返回首次的响应（响应头 Idempotent-Replayed: true），不会重复执行；同一键、不同请求体返回 409。\n" +
	"同一 X-Nonce 只能使用一次（重放返回 401），重试须以新的 X-Nonce 重新签名并携带相同的 Idempotency-Key。示例客户端：docs/insurer-client.sh。"

// partnerSigningDoc describes the partner platforms' signing (R-18, internal/partner, docs/partner-api.md).
const partnerSigningDoc = "合作城市平台之间的接口（R-18），版本 v1。双方互相登记后，各用约定的本方密钥签名，请求头：\n" +
	"- X-Partner-Id: 本平台在对方登记的标识\n- X-Timestamp: Unix 秒数，与对方时间相差不得超过 ±300 秒\n" +
	"- X-Nonce: 每个请求新生成的16至64位随机串，不得重复（重放返回 401）\n" +
	"- X-Signature: hex(HMAC-SHA256(secret, METHOD + \"\\n\" + PATH + \"\\n\" + X-Timestamp + \"\\n\" + X-Nonce + \"\\n\" + hex(SHA-256(请求体))))\n" +
	"消息体的 key 为幂等键：同一 key 只处理一次（重复投递返回 result=duplicate）；同一订单（ref）的消息按 seq 顺序发送；状态只能向前（倒退返回 409）。详见 docs/partner-api.md。"

func buildOpenAPI(routes []Route) map[string]any {
	g := &schemaGen{defs: map[string]any{"Error": errorSchema()}}
	paths := map[string]any{}
	for _, rt := range routes {
		op := map[string]any{
			"summary":      rt.Summary,
			"tags":         []string{rt.Tag},
			"operationId":  strings.ToLower(rt.Method) + strings.NewReplacer("/api", "", "/", "_", "{", "", "}", "", "-", "_", ".", "_").Replace(rt.Path),
			"x-permission": string(rt.Perm),
		}
		if rt.Perm == access.Public {
			op["security"] = []any{}
		}
		var params []any
		for _, seg := range strings.Split(rt.Path, "/") {
			if strings.HasPrefix(seg, "{") {
				params = append(params, map[string]any{"name": strings.Trim(seg, "{}"), "in": "path", "required": true, "schema": map[string]any{"type": "integer"}})
			}
		}
		for _, q := range rt.Query {
			params = append(params, map[string]any{"name": q, "in": "query", "schema": map[string]any{"type": "string"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.In != nil {
			media := map[string]any{"schema": g.schema(reflect.TypeOf(rt.In))}
			if rt.Example != nil {
				media["example"] = rt.Example
			}
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": media}}
		}
		if rt.Signed {
			op["security"] = []any{map[string]any{"signature": []any{}}, map[string]any{"cookie": []any{}}}
			op["description"] = signingDoc
		}
		if rt.Perm == access.PartnerAPI { // partner cities' platforms (docs/partner-api.md)
			op["security"] = []any{map[string]any{"partner": []any{}}}
			op["description"] = partnerSigningDoc
		}
		errRef := map[string]any{"description": "错误", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
		responses := map[string]any{"default": errRef}
		switch {
		case rt.Out != nil:
			responses["200"] = map[string]any{"description": "成功", "content": map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.Out))}}}
		case strings.HasSuffix(rt.Path, "/stream"):
			responses["200"] = map[string]any{"description": "事件流", "content": map[string]any{"text/event-stream": map[string]any{}}}
		case rt.Method == "GET": // downloads: spreadsheets, photos, attachments
			responses["200"] = map[string]any{"description": "文件", "content": map[string]any{"application/octet-stream": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}}
		default:
			responses["204"] = map[string]any{"description": "成功，无内容"}
		}
		op["responses"] = responses
		item, _ := paths[rt.Path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.Path] = item
		}
		item[strings.ToLower(rt.Method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "govfleet 公务用车信息化平台 API",
			"version":     "1",
			"description": "JSON API。浏览器会话使用 HttpOnly Cookie，写操作须带 X-CSRF-Token 头（登录或 GET /api/me 返回）；机器客户端使用 Authorization: Bearer <API令牌>；合作企业的系统使用API密钥签名（见 securitySchemes.signature）。列表接口以 page、page_size 分页。x-permission 为所需权限。",
		},
		"paths": paths,
		"components": map[string]any{
			"schemas": g.defs,
			"securitySchemes": map[string]any{
				"cookie":    map[string]any{"type": "apiKey", "in": "cookie", "name": SessionCookie},
				"bearer":    map[string]any{"type": "http", "scheme": "bearer"},
				"signature": map[string]any{"type": "apiKey", "in": "header", "name": "X-Key-Id", "description": signingDoc},
				"partner":   map[string]any{"type": "apiKey", "in": "header", "name": "X-Partner-Id", "description": partnerSigningDoc},
			},
		},
		"security": []any{map[string]any{"cookie": []any{}}, map[string]any{"bearer": []any{}}},
	}
}

type schemaGen struct{ defs map[string]any }

var (
	timeType = reflect.TypeOf(time.Time{})
	rawType  = reflect.TypeOf(json.RawMessage{})
)

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawType:
		return map[string]any{"description": "任意 JSON"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		s := g.schema(t.Elem())
		if _, isRef := s["$ref"]; isRef {
			return map[string]any{"allOf": []any{s}, "nullable": true}
		}
		s["nullable"] = true
		return s
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		name := schemaName(t)
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = map[string]any{} // placeholder against recursion
			props := map[string]any{}
			g.fields(t, props)
			g.defs[name] = map[string]any{"type": "object", "properties": props}
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func (g *schemaGen) fields(t reflect.Type, props map[string]any) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name := strings.Split(tag, ",")[0]
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && ft.PkgPath() != "github.com/uptrace/bun/schema" {
				g.fields(ft, props)
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = g.schema(f.Type)
	}
}

// schemaName names a struct type: package + type, generic arguments folded.
func schemaName(t reflect.Type) string {
	name := t.Name()
	if i := strings.IndexByte(name, '['); i >= 0 { // List[govfleet/internal/org.Unit]
		arg := name[i+1 : len(name)-1]
		arg = arg[strings.LastIndexByte(arg, '.')+1:]
		name = name[:i] + arg
	}
	pkg := t.PkgPath()
	pkg = pkg[strings.LastIndexByte(pkg, '/')+1:]
	if pkg == "httpapi" {
		pkg = ""
	}
	r := []rune(pkg)
	if len(r) > 0 {
		r[0] = unicode.ToUpper(r[0])
	}
	n := []rune(name)
	if len(n) > 0 {
		n[0] = unicode.ToUpper(n[0])
	}
	return string(r) + string(n)
}
