/**
 * The console's one stylesheet, inlined in every page: a few KB, no request of its own, no
 * framework. Narrow screens first: the operator often looks from a phone.
 *
 * The rules form shows each part's fields for its type and each rule's for its kind of `when`
 * without a script (pages/reply-fields.tsx `shownFor`): a browser without `:has()` shows the
 * blocks of the choice the page was rendered with (`data-chosen`), so the fields are there, and
 * a changed type shows its own after the next press of any button; with `:has()` they follow
 * the select at once. A browser too old for `@supports selector()` shows every block.
 * The page escapes this text (layout.tsx), so the rules form's rules use no quote and no `>`.
 */
import { PART_TYPES } from './reply-form'
import { WHEN_KINDS } from './rule-draft'

export const STYLE = `
:root{--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--bg:#f6f8fa;--accent:#07c160;--bad:#cf222e;--warn:#9a6700;--in:#fff;--out:#95ec69}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 -apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",system-ui,sans-serif;color:var(--fg);background:var(--bg)}
header{background:#fff;border-bottom:1px solid var(--line);padding:8px 12px;display:flex;flex-wrap:wrap;gap:8px;align-items:center}
header .brand{font-weight:600;margin-right:8px}
nav{display:flex;flex-wrap:wrap;gap:4px}
nav a{padding:4px 10px;border-radius:6px;color:var(--fg);text-decoration:none}
nav a[aria-current=page]{background:var(--accent);color:#fff}
header .tools{margin-left:auto;display:flex;gap:8px;align-items:center}
header .tools{flex-wrap:wrap}header .tools button,header .tools .button{white-space:nowrap}header .app-switcher{display:flex;gap:6px;align-items:center}header .app-switcher label{display:flex;gap:6px;align-items:center;white-space:nowrap}header .app-switcher select{max-width:15em}
form{margin:0}
main{max-width:960px;margin:0 auto;padding:12px}
h1{font-size:20px;margin:8px 0 12px}
h2{font-size:16px;margin:16px 0 8px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:8px}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px}
.card b{display:block;font-size:24px}
.card span{color:var(--muted);font-size:13px}
.panel{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px;margin:8px 0;overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:inherit;line-height:inherit}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:baseline}
th{color:var(--muted);font-weight:500;font-size:13px}
.muted{color:var(--muted);font-size:13px}
.bad{color:var(--bad)}.ok{color:var(--accent)}.warn{color:var(--warn)}
button,.button{font:inherit;padding:5px 12px;border:1px solid var(--line);border-radius:6px;background:#fff;cursor:pointer;color:var(--fg);text-decoration:none;display:inline-block}
button.primary{background:var(--accent);border-color:var(--accent);color:#fff}
button.danger{color:var(--bad)}
input,select,textarea{font:inherit;padding:5px 8px;border:1px solid var(--line);border-radius:6px;max-width:100%}
textarea{width:100%;min-height:60px}
label{display:block;margin:6px 0 2px;color:var(--muted);font-size:13px}
.row{display:flex;flex-wrap:wrap;gap:8px;align-items:end}.row.top{align-items:flex-start}
.notice{padding:8px 12px;border-radius:6px;margin:8px 0;background:#dafbe1}
.notice.error{background:#ffebe9;color:var(--bad)}
.filters a{margin-right:8px}
.chat{display:flex;flex-direction:column;gap:8px}
.bubble{align-self:flex-start;max-width:80%;padding:8px 10px;border-radius:8px;background:var(--in);border:1px solid var(--line);white-space:pre-wrap;overflow-wrap:anywhere}
.bubble.out{align-self:flex-end;background:var(--out);border-color:#7fd65a}
.bubble .meta{display:block;font-size:12px;color:var(--muted);margin-top:4px}
form.inline{display:inline-block;margin:0 4px 4px 0}
.badge.warn-badge{background:#fff8c5;color:#9a6700;border-color:#d4a72c}
.badge{display:inline-block;margin-left:6px;padding:0 6px;border-radius:9px;font-size:12px;background:#ddf4ff;color:#0969da;border:1px solid #54aeff;white-space:nowrap}
.bubble.out[data-status=failed]{background:#ffebe9;border-color:var(--bad)}
.bubble.out[data-status=dropped],.bubble.out[data-status=pending]{background:#fff8c5;border-color:#d4a72c}
.chart-days{display:flex;font-size:11px;color:var(--muted);text-align:center}
.chart-days span{flex:1 1 0;min-width:0;white-space:nowrap}
@media (max-width:600px){.chart-days span:nth-child(even){visibility:hidden}}
.chart{margin:0}
.chart svg{width:100%;height:auto}
.login{max-width:360px;margin:15vh auto;background:#fff;border:1px solid var(--line);border-radius:8px;padding:20px}
.login input{width:100%}
pre{white-space:pre-wrap;word-break:break-word;margin:0}
.diff pre span{display:block;min-height:1.2em}.diff .add{background:#dafbe1}.diff .del{background:#ffebe9}
fieldset{border:1px solid var(--line);border-radius:8px;margin:8px 0;padding:8px 10px;background:#fff}
legend{font-weight:600}
.field-error{color:var(--bad);font-size:13px;margin:4px 0}
[aria-invalid=true]{border-color:var(--bad)}
input[aria-invalid=true],textarea[aria-invalid=true]{background:#fff5f5}
.id{overflow-wrap:anywhere}.nowrap{white-space:nowrap}
.items{list-style:none;padding:0;margin:0}.items li{padding:6px 0;border-bottom:1px solid var(--line)}.items li:last-child{border-bottom:0}
progress{width:5em;height:10px;vertical-align:middle;accent-color:var(--accent)}
header .who{color:var(--muted);font-size:13px;white-space:nowrap}
label.check{display:inline-flex;gap:4px;align-items:center;margin:4px 12px 4px 0;color:var(--fg);font-size:inherit}
.token{display:block;padding:8px;background:var(--bg);border:1px dashed var(--line);border-radius:6px;font-size:14px;user-select:all}
@media (max-width:600px){table.stack thead{display:none}table.stack tr{display:block;padding:6px 0;border-bottom:1px solid var(--line)}table.stack td{display:inline-block;border:0;padding:1px 8px 1px 0;max-width:100%}}
.actions{position:sticky;bottom:0;background:var(--bg);padding:8px 0;margin:0;border-top:1px solid var(--line)}
button.small{padding:2px 8px;font-size:13px}.spacer{flex:1}label.inline{display:inline;margin:0}
.choice{border-left:3px solid var(--line);padding-left:8px;margin:8px 0}
.part{border:1px solid var(--line);border-radius:6px;padding:6px 8px;margin:6px 0;background:var(--bg)}
.part-head{align-items:center}.part input:not([type=checkbox]):not([type=file]),.part textarea{width:100%}
@supports not selector(:has(a)){.part [data-for]:not([data-chosen]),.rule [data-when]:not([data-chosen]),.choice-head:not([data-chosen]){display:none}}
@supports selector(:has(a)){
${PART_TYPES.map((type) => `.part:has(.part-type option[value=${type}]:checked) [data-for]:not([data-for~=${type}])`).join(',')}{display:none}
${WHEN_KINDS.map((kind) => `.rule:has(.when-kind option[value=${kind}]:checked) [data-when]:not([data-when~=${kind}])`).join(',')}{display:none}
.reply:not(:has([data-random]:checked)) :is(.choice-head,.choice~.choice,.random-only){display:none}
}
.uploaded{align-items:center;margin:4px 0}img.thumb{max-width:96px;max-height:96px;border-radius:4px;border:1px solid var(--line)}
.picture-bubble img{max-width:180px;max-height:180px;display:block;border-radius:4px}
.link-card,.mp-card{background:#fff;max-width:260px;display:flex;flex-direction:column;gap:4px;white-space:normal}
.mp-card img{width:100%;aspect-ratio:5/4;object-fit:cover;border-radius:4px}.mp-foot{border-top:1px solid var(--line);padding-top:2px}
.seen{margin:6px 0}.seen .chat{padding:6px;background:#ededed;border-radius:6px}
[data-default-reply]:not(:has([data-default-on]:checked)) .entries,[data-hours]:not(:has([data-hours-on]:checked)) .hours-grid{display:none}
.entry{border-top:1px dashed var(--line);padding-top:6px;margin-top:6px}
table.week th{width:5.5em;white-space:nowrap}table.week td{padding:4px}.periods{display:flex;flex-wrap:wrap;gap:6px;align-items:center}
.period{display:inline-flex;gap:4px;align-items:center;white-space:nowrap}.period input{width:4.6em;padding:4px}.period input[type=date]{width:auto}
.dates [data-dates]{flex:1;min-width:240px}.dates .period{margin:2px 8px 2px 0}
@media (max-width:600px){table.week th{width:auto}table.week tr{display:block;border-bottom:1px solid var(--line)}table.week th,table.week td{display:block;border:0;padding:2px 0}}
`
