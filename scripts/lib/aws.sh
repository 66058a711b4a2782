# Calling the AWS CLI from the deploy scripts. Source it after common.sh; it defines
# functions only.
# shellcheck shell=bash
#
# The CLI writes its answer on stdout and everything else on stderr: errors, and also
# warnings on calls that succeed (deprecation and pager notices, Python version notices).
# The two are never mixed here: stdout is the answer, parsed as JSON; stderr is shown
# only when the call failed. Each failure is one of two kinds, told apart by the error
# code the CLI prints ("An error occurred (CODE) when calling ..."):
#
#   retryable  throttling (botocore's own list of throttling codes), timeouts, server
#              errors (5xx, including the bare status code botocore reports for an
#              HTML or empty 5xx body), a connection that failed or broke, a call that
#              outlived AWS_CALL_TIMEOUT_S, and an answer that is not JSON: asking again
#              later can succeed;
#   fatal      everything else: access denied, expired credentials, a resource that
#              does not exist, a request AWS (or the CLI itself) finds invalid. Asking
#              again gives the same answer, so the scripts stop at once.
#
# Every call is bounded: `timeout` stops it after AWS_CALL_TIMEOUT_S seconds (default
# 60), or sooner when the caller's deadline is nearer. The CLI's own retries (its retry
# mode, AWS_MAX_ATTEMPTS) happen inside that bound.

# sysexits.h's EX_TEMPFAIL: what aws_call and aws_retry return for a retryable failure.
AWS_RETRYABLE=75
AWS_CALL_TIMEOUT_S=${AWS_CALL_TIMEOUT_S:-60}

# Error codes that mean "not now" rather than "no". The throttling codes are botocore's
# (botocore/retries/standard.py, ThrottledRetryableChecker); the transient ones are its
# TransientRetryableChecker's, plus the service-side error names AWS APIs use for 5xx.
AWS_RETRYABLE_CODES=" Throttling ThrottlingException ThrottledException RequestThrottledException
  TooManyRequestsException ProvisionedThroughputExceededException TransactionInProgressException
  RequestLimitExceeded BandwidthLimitExceeded LimitExceededException RequestThrottled SlowDown
  PriorRequestNotComplete EC2ThrottledException RequestTimeout RequestTimeoutException
  InternalError InternalFailure InternalServerError InternalServerException ServerException
  ServiceUnavailable ServiceUnavailableException "
# What botocore prints for a connection that failed, timed out or broke (no error code).
AWS_CONNECTION_ERRORS='Could not connect to the endpoint URL|Connect timeout on endpoint URL|Read timeout on endpoint URL|Connection was closed before we received a valid response|An HTTP Client raised an unhandled exception|An HTTP Client failed to establish a connection|An error occurred while reading from response stream|Connection reset by peer'

# aws_call [--empty-ok] [--timeout-s N] COMMAND...
# Runs COMMAND (an `aws ... --output json` command line) once. Sets:
#   aws_out         its stdout: a JSON object or array (empty allowed with --empty-ok,
#                   for calls such as continue-deployment that answer nothing)
#   aws_error       why it failed, in one line: the CLI's stderr, or what was wrong
#   aws_error_code  the error code ("AccessDeniedException", "503", "connection",
#                   "timeout", "unparsable", or "unknown" when the CLI gave none)
# Returns 0 on success, AWS_RETRYABLE for a retryable failure, 1 for a fatal one.
aws_call() {
  local empty_ok=false limit=$AWS_CALL_TIMEOUT_S
  while [ "$#" -gt 0 ]; do
    case $1 in
      --empty-ok) empty_ok=true; shift ;;
      --timeout-s) limit=$2; shift 2 ;;
      *) break ;;
    esac
  done
  local err rc=0 text
  err=$(mktemp)
  aws_out=$(timeout --kill-after=5 "$limit" "$@" 2>"$err") || rc=$?
  text=$(sed -e '/^[[:space:]]*$/d' "$err" | paste -sd '|' | sed 's/|/ | /g')
  rm -f "$err"
  aws_error="" aws_error_code=""
  if [ "$rc" -eq 0 ]; then
    if [ -z "$aws_out" ] && $empty_ok; then
      return 0
    fi
    # (One JSON object or array, exactly: jq 1.6 -e passes empty input.)
    if [ "$(jq -r 'type == "object" or type == "array"' 2>/dev/null <<<"$aws_out")" = true ]; then
      return 0
    fi
    aws_error_code=unparsable
    local shown="(nothing)"
    [ -z "$aws_out" ] || shown=$(head -c 300 <<<"$aws_out" | tr '\n' ' ')
    aws_error="the answer is not JSON: $shown${text:+ (stderr: $text)}"
    return "$AWS_RETRYABLE"
  fi
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    aws_error_code=timeout
    aws_error="no answer within $limit s${text:+ ($text)}"
    return "$AWS_RETRYABLE"
  fi
  aws_error=${text:-"exit $rc, nothing on stderr"}
  local coded='An error occurred \(([^)]+)\)'
  if [[ $text =~ $coded ]]; then
    aws_error_code=${BASH_REMATCH[1]}
    if [[ $AWS_RETRYABLE_CODES == *[[:space:]]"$aws_error_code"[[:space:]]* ]] \
      || [[ $aws_error_code =~ ^5[0-9][0-9]$ ]]; then
      return "$AWS_RETRYABLE"
    fi
    return 1
  fi
  if [[ $text =~ $AWS_CONNECTION_ERRORS ]]; then
    aws_error_code=connection
    return "$AWS_RETRYABLE"
  fi
  aws_error_code=unknown
  return 1
}

# aws_retry DEADLINE [--empty-ok] COMMAND...
# aws_call, asked again after a retryable failure (after 2, 4, 8, then every 15 s, each
# retry logged) until it succeeds, fails fatally, or the epoch second DEADLINE comes.
# Returns 0, 1 (fatal) or AWS_RETRYABLE (the deadline came; aws_error is the last error).
aws_retry() {
  local deadline=$1 pause=2 rc left
  shift
  aws_error="" aws_error_code=""
  local options=()
  if [ "${1:-}" = --empty-ok ]; then options+=(--empty-ok); shift; fi
  while :; do
    left=$((deadline - $(date +%s)))
    if [ "$left" -le 0 ]; then
      aws_error_code=${aws_error_code:-timeout}
      aws_error=${aws_error:-"no time left to call AWS"}
      return "$AWS_RETRYABLE"
    fi
    [ "$left" -le "$AWS_CALL_TIMEOUT_S" ] || left=$AWS_CALL_TIMEOUT_S
    rc=0
    aws_call ${options[@]+"${options[@]}"} --timeout-s "$left" "$@" || rc=$?
    [ "$rc" -eq "$AWS_RETRYABLE" ] || return "$rc"
    if [ $(($(date +%s) + pause)) -ge "$deadline" ]; then
      return "$AWS_RETRYABLE"
    fi
    warn "$2 $3 failed, retrying in $pause s: $aws_error"
    sleep "$pause"
    pause=$((pause * 2))
    [ "$pause" -le 15 ] || pause=15
  done
}
