#!/usr/bin/env bash
# The action's main step (action.yml): one clickmeter-reconciler command, its whole
# output kept in a file, the job summary written and, for a pull request's plan,
# the comment body made ready (one marker line first, within one comment's size).
# Inputs come as COMMAND, MANIFESTS, TARGET, FORMAT, ARGS and PULL_REQUEST, never
# spliced into the script. It always exits 0 and hands the command's status on as
# the `exit-code` output, so that a failed or drifted plan still gets its summary,
# comment and artifact before the last step fails the job.
set -uo pipefail

COMMENT_LIMIT=65000     # characters in one comment: 65,536, less the marker and a note
SUMMARY_LIMIT=1000000   # a step's job summary: 1 MiB

case "$COMMAND" in
  validate | plan | apply | stats) ;;
  *) echo "::error::command '$COMMAND': expected validate, plan, apply or stats"; exit 1 ;;
esac
read -ra paths <<< "$MANIFESTS"
read -ra extra <<< "$ARGS"
target="${TARGET:-${CLICKMETER_TARGET:-https://apiv2.clickmeter.com}}"
format="${FORMAT:-markdown}"
out_dir="${RUNNER_TEMP:-/tmp}/clickmeter-$COMMAND"
mkdir -p "$out_dir"

extension() {
  case "$1" in
    markdown) echo md ;;
    json | html | csv) echo "$1" ;;
    *) echo txt ;;
  esac
}

invocation=(clickmeter-reconciler --target "$target" "$COMMAND" "${paths[@]}")
case "$COMMAND" in
  plan) invocation+=(--format "$format" --out "$out_dir/saved-plan.json" --out-full "$out_dir/plan-full.$(extension "$format")") ;;
  stats) invocation+=(--format "$format") ;;
  apply) invocation+=(--auto-approve); format=text ;;
  validate) format=text ;;
esac
output="$out_dir/$COMMAND.$(extension "$format")"
errors="$out_dir/$COMMAND.stderr.txt"

"${invocation[@]}" "${extra[@]}" > "$output" 2> >(tee "$errors" >&2)
status=$?
wait  # for tee
if [ "$COMMAND" = plan ] && [ "$status" -eq 2 ]; then
  echo "::error::changes present: the account differs from the manifests (plan exit status 2)"
fi
if [ "$format" = html ]; then
  echo "the report: $output"
else
  cat "$output"
fi

fenced() {  # a file as a Markdown code block
  printf '```text\n'
  cat "$1"
  printf '\n```\n'
}

body() {  # the command's output as Markdown, then its errors when it failed
  if [ "$format" = markdown ]; then
    cat "$output"
  elif [ "$format" = html ]; then
    echo "The HTML report is in this run's artifacts (clickmeter-$COMMAND-...)."
  elif [ -s "$output" ]; then
    fenced "$output"
  fi
  if [ "$status" -ne 0 ] && [ -s "$errors" ]; then
    printf '\n**clickmeter-reconciler %s exited with status %s:**\n\n' "$COMMAND" "$status"
    fenced "$errors"
  fi
}

{
  [ "$format" = markdown ] || echo "### clickmeter-reconciler $COMMAND"
  body | head -c "$SUMMARY_LIMIT"
} >> "${GITHUB_STEP_SUMMARY:-/dev/null}"

marker="<!-- clickmeter-reconciler plan: ${MANIFESTS} -->"
comment="$out_dir/comment.md"
if [ "$COMMAND" = plan ] && [ -n "${PULL_REQUEST:-}" ]; then
  body > "$out_dir/comment-whole.md"
  {
    echo "$marker"
    if [ "$(wc -c < "$out_dir/comment-whole.md")" -le "$COMMENT_LIMIT" ]; then
      cat "$out_dir/comment-whole.md"
    else
      head -c "$COMMENT_LIMIT" "$out_dir/comment-whole.md" | sed '$d'
      printf '\n\n_The plan is longer than one comment: the whole plan is in this run'"'"'s artifacts (clickmeter-plan-...)._\n'
    fi
  } > "$comment"
  rm "$out_dir/comment-whole.md"
fi

{
  echo "exit-code=$status"
  echo "output-file=$output"
  echo "artifact-dir=$out_dir"
  echo "marker=$marker"
  [ -f "$comment" ] && echo "comment-file=$comment"
} >> "${GITHUB_OUTPUT:-/dev/null}"
exit 0
