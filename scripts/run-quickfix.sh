#!/usr/bin/env bash
# Runs one of QuickFIX's example acceptors as a FIX venue to try the OMS against (README: "Connect a
# FIX venue"): scripts/run-quickfix.sh executor|ordermatch [port] [OMS SenderCompID].
# executor speaks FIX 4.4 as EXECUTOR and fills every limit order at once; ordermatch speaks FIX 4.2
# as MATCH and matches orders between sessions. Its store and logs go to .oms-data/quickfix-<name>/.
# It listens on every interface (QuickFIX cannot bind one): run it where only you can reach it.
set -euo pipefail
cd "$(dirname "$0")/.."
app=${1:-executor}
port=${2:-9878}
client=${3:-OMS}
case "$app" in
  executor) begin=FIX.4.4; self=EXECUTOR; dictionary=FIX44.xml ;;
  ordermatch) begin=FIX.4.2; self=MATCH; dictionary=FIX42.xml ;;
  *) echo "usage: $0 executor|ordermatch [port] [OMS SenderCompID]" >&2; exit 2 ;;
esac
[ -x "dist/quickfix/$app" ] || bash scripts/build-quickfix.sh
dir=.oms-data/quickfix-$app
mkdir -p "$dir"
cat > "$dir/acceptor.cfg" <<CFG
[DEFAULT]
ConnectionType=acceptor
SocketAcceptPort=$port
SocketReuseAddress=Y
StartTime=00:00:00
EndTime=00:00:00
FileStorePath=$dir/store
FileLogPath=$dir/log
UseDataDictionary=Y
[SESSION]
BeginString=$begin
SenderCompID=$self
TargetCompID=$client
DataDictionary=$(pwd)/node_modules/jspurefix/data/$dictionary
CFG
echo "$app: $begin as $self for $client on port $port (Ctrl-C stops it)" >&2
exec "dist/quickfix/$app" "$dir/acceptor.cfg"
