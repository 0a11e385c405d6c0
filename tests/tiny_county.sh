# shellcheck shell=sh
# tiny_county.sh — sourced by end-to-end tests: make_county DIR AIDMATCH
# writes a small synthetic county into DIR (centre.ini, its key, a copy of
# the catalogue and rules, five feeds, one of them tokenised with
# `aidmatch hash`), built from in-repo files only.  Its findings: two
# duplicates (P1, P4), a payment after death (P5), a conflict (P3), a
# duplicate inside the tokenised feed (P6, area unknown), and missing
# medical-insurance subsidies; one row is rejected (bad check digit).
# Line numbers used by tests: town_tekun.csv line 2 is P1's, line 3 P4's.

# Valid resident IDs (synthetic; check digits computed per GB 11643).
P1=320281197001010012
P2=320281197001010020
P3=320281198002020030
P4=320282199003030047
P5=110105194912310011
P6=320281195506060083

make_county() { # DIR AIDMATCH
    county=$1
    bin=$2
    root=${AM_SOURCE_ROOT:?}
    mkdir -p "$county"
    cp -r "$root/data/catalogue" "$root/data/rules" "$county/"
    "$bin" keygen --out "$county/tiny.key" >/dev/null

    cat >"$county/mca_tekun.csv" <<EOF
身份证号,姓名,金额,开始日期,结束日期
$P1,张三,1200.00,2025-01-01,2025-03-31
$P2,李四,900.00,2025-01-01,2025-06-30
$P3,王五,600.00,2025-01-01,2025-03-31
$P4,赵六,600.00,2025-01-01,2025-03-31
$P5,钱七,800.00,2025-01-01,2025-04-30
320281197001010013,孙八,800.00,2025-01-01,2025-04-30
EOF
    cat >"$county/town_tekun.csv" <<EOF
身份证号,金额,开始日期,结束日期
$P1,1200.00,2025-03-01,2025-05-31
$P4,600.00,2025-02-01,2025-04-30
EOF
    cat >"$county/psb_deaths.csv" <<EOF
身份证号,死亡日期
$P5,2025-02-15
EOF
    cat >"$county/hsa_medprem.csv" <<EOF
身份证号,金额,开始日期,结束日期
$P2,30.00,2025-01-01,2025-06-30
$P3,30.00,2025-01-01,2025-06-30
$P6,30.00,2025-01-01,2025-06-30
EOF
    cat >"$county/dpf_export.csv" <<EOF
身份证号,姓名,金额,开始日期,结束日期
$P3,王五,100.00,2025-02-01,2025-03-31
$P6,周九,300.00,2025-01-01,2025-03-31
$P6,周九,200.00,2025-03-01,2025-04-30
EOF

    # The agency side: the disability feed arrives tokenised.
    cat >"$county/agency.ini" <<EOF
[centre]
catalogue = catalogue
key = tiny.key

[feed dpf_raw]
agency = MCA
file = dpf_export.csv
person_id = 身份证号
name = 姓名
item = DIS_LIVING
amount = 金额
start = 开始日期
end = 结束日期
EOF
    "$bin" hash "$county/agency.ini" --feed dpf_raw --out "$county/dpf_living.tokens.csv" \
        2>"$county/hash.err"
    fingerprint=$(sed -n 's/.*key_fingerprint = \([0-9a-f]*\).*/\1/p' "$county/hash.err")

    cat >"$county/centre.ini" <<EOF
[centre]
name = 测试县社会救助中心 Test County
catalogue = catalogue
key = tiny.key
rules = rules/default.rules

[feed mca_tekun]
agency = MCA
file = mca_tekun.csv
person_id = 身份证号
name = 姓名
item = TEKUN_HOME
amount = 金额
start = 开始日期
end = 结束日期

[feed town_tekun]
agency = MCA
file = town_tekun.csv
person_id = 身份证号
item = TEKUN_HOME
amount = 金额
start = 开始日期
end = 结束日期

[feed psb_deaths]
kind = registry
agency = PSB
file = psb_deaths.csv
person_id = 身份证号
fact = DEATH
date = 死亡日期

[feed hsa_medprem]
agency = HSA
file = hsa_medprem.csv
person_id = 身份证号
item = MED_PREM
amount = 金额
start = 开始日期
end = 结束日期

[feed dpf_living]
agency = MCA
file = dpf_living.tokens.csv
ids = token
key_fingerprint = $fingerprint
person_id = 身份证号
item = DIS_LIVING
amount = 金额
start = 开始日期
end = 结束日期
EOF
}
