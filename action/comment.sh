#!/usr/bin/env bash
# The action's comment step (action.yml): create the pull request's plan comment, or
# update the one found by its marker (the body's first line), so that a pull request
# keeps one plan comment however often it is pushed. Uses `gh` with GH_TOKEN; without
# the permission (a fork's pull request) it warns and leaves the job's status alone.
set -euo pipefail

upsert() {
  local existing
  existing=$(gh api --paginate "repos/$REPOSITORY/issues/$PULL_REQUEST/comments" \
    --jq '.[] | select(.body | startswith(env.MARKER)) | .id' | head -n 1) || return 1
  if [ -n "$existing" ]; then
    gh api --method PATCH "repos/$REPOSITORY/issues/comments/$existing" -F "body=@$BODY_FILE" > /dev/null &&
      echo "updated the plan comment $existing"
  else
    gh api --method POST "repos/$REPOSITORY/issues/$PULL_REQUEST/comments" -F "body=@$BODY_FILE" > /dev/null &&
      echo "commented the plan on pull request #$PULL_REQUEST"
  fi
}

upsert || echo "::warning::could not comment the plan on pull request #$PULL_REQUEST (a fork's token, or no pull-requests: write permission); it is in the job summary"
