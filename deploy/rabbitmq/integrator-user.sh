#!/usr/bin/env bash
# Create (or update) a read-only integrator user on RabbitMQ: it may declare, bind, consume and
# delete only queues whose names start with its prefix, and read (bind to) the events exchange.
# It cannot publish to the events exchange nor read any other queue.
#
#   deploy/rabbitmq/integrator-user.sh <user> <password> [vhost=/] [queue-prefix=<user>.] [exchange=vrac.events]
#
# RABBITMQCTL overrides the command, e.g. RABBITMQCTL="docker compose exec -T rabbitmq rabbitmqctl"
# or RABBITMQCTL="rabbitmqctl -n rabbit@mq1". Permissions granted (RabbitMQ's model: queue.declare
# needs configure on the queue; queue.bind needs write on the queue and read on the exchange;
# basic.consume/get need read on the queue; basic.publish needs write on the exchange):
#   configure  ^<prefix>.*
#   write      ^<prefix>.*
#   read       ^(<exchange>|<prefix>.*)$
set -euo pipefail

if [[ $# -lt 2 || $# -gt 5 ]]; then
    echo "usage: $0 <user> <password> [vhost=/] [queue-prefix=<user>.] [exchange=vrac.events]" >&2
    exit 2
fi
user=$1
password=$2
vhost=${3:-/}
prefix=${4:-$user.}
exchange=${5:-vrac.events}
read -r -a ctl <<<"${RABBITMQCTL:-rabbitmqctl}"

# Regular expressions match the whole name literally: escape the metacharacters.
escape() { printf '%s' "$1" | sed -e 's/[][\\.*^$+?(){}|]/\\&/g'; }
p=$(escape "$prefix")
e=$(escape "$exchange")

if [[ -z "$prefix" ]]; then
    echo "the queue prefix must not be empty" >&2
    exit 2
fi
# The prefix must not cover the platform's exchanges or its service queues.
for name in "$exchange" "$exchange.unrouted" "$exchange.dlx" accounts ordering logistics notifications; do
    if [[ "$name" == "$prefix"* ]]; then
        echo "the queue prefix '$prefix' would cover the platform's '$name'" >&2
        exit 2
    fi
done

if "${ctl[@]}" list_users --quiet --no-table-headers | cut -f1 | grep -qxF -- "$user"; then
    "${ctl[@]}" change_password -- "$user" "$password"
else
    "${ctl[@]}" add_user -- "$user" "$password"
fi
"${ctl[@]}" set_user_tags "$user"
"${ctl[@]}" set_permissions -p "$vhost" "$user" "^$p.*" "^$p.*" "^($e|$p.*)\$"
echo "user '$user' on vhost '$vhost': queues '$prefix*', reads '$exchange'"
