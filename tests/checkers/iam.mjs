// Decide IAM requests with @cloud-copilot/iam-simulate, an IAM policy evaluator this project
// did not write (AGPL: test-only, never a dependency of the package).
//
// Batch mode (default): stdin is a JSON array of requests; stdout is a JSON array of answers,
// one per request, in order. Line mode (--lines): one JSON request per stdin line, one JSON
// answer per stdout line, for a caller that keeps this process running.
//
// A request:
//   { "principal": "pipes.amazonaws.com" | "arn:aws:sts::111122223333:assumed-role/r/s",
//     "action": "sqs:SendMessage", "resource": "<ARN or *>", "resourceAccount": "111122223333",
//     "context": { "aws:SourceArn": "..." }, "identityPolicies": [<policy document>, ...],
//     "resourcePolicy": <policy document, e.g. a role's trust policy> | null,
//     "strict": true }
// strict (the default) runs runSimulation, which also validates the policies, the action, the
// resource ARN against the action's resource types and the context keys against the action;
// strict: false runs runUnsafeSimulation (no validation), for an action whose service
// documentation and the evaluator's data disagree (the caller says why).
//
// An answer: { "decision": "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied" | "Error",
//              "errors": <validation errors or null>, "ignoredContextKeys": [...] }

import { createInterface } from 'node:readline'
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate'

function simulation(request) {
  return {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: request.resourceAccount },
      contextVariables: request.context ?? {}
    },
    identityPolicies: (request.identityPolicies ?? []).map((policy, index) => ({
      name: `identity-${index}`,
      policy
    })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(request.resourcePolicy ? { resourcePolicy: request.resourcePolicy } : {})
  }
}

async function decide(request) {
  try {
    if (request.strict === false) {
      const decision = runUnsafeSimulation(simulation(request), {})
      return { decision, errors: null, ignoredContextKeys: [] }
    }
    const result = await runSimulation(simulation(request), {})
    if (result.resultType === 'error') {
      return { decision: 'Error', errors: result.errors, ignoredContextKeys: [] }
    }
    const ignored = result.resultType === 'single' ? result.result.ignoredContextKeys ?? [] : []
    return { decision: result.overallResult, errors: null, ignoredContextKeys: ignored }
  } catch (error) {
    return { decision: 'Error', errors: { message: String(error) }, ignoredContextKeys: [] }
  }
}

async function batch() {
  let text = ''
  for await (const chunk of process.stdin) text += chunk
  const answers = []
  for (const request of JSON.parse(text)) answers.push(await decide(request))
  process.stdout.write(JSON.stringify(answers))
}

async function lines() {
  const input = createInterface({ input: process.stdin, crlfDelay: Infinity })
  for await (const line of input) {
    if (!line.trim()) continue
    process.stdout.write(JSON.stringify(await decide(JSON.parse(line))) + '\n')
  }
}

await (process.argv.includes('--lines') ? lines() : batch())
