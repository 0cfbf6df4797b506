import {
  ASTVisitor,
  FragmentDefinitionNode,
  GraphQLError,
  OperationDefinitionNode,
  SelectionSetNode,
  StringValueNode,
  ValidationContext,
} from 'graphql';
import { ApolloServerPlugin } from '@apollo/server';
import { Refusal } from '@oms/application';

/** How much one request may ask for at its root. */
export interface RequestLimits {
  /** Mutations per request, aliases included: a burst of orders goes through the rate limits, not one request. */
  maxMutations: number;
  /** Root fields of a query or subscription, aliases included: no read multiplied by aliasing. */
  maxRootFields: number;
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = { maxMutations: 10, maxRootFields: 20 };

function rootFieldCount(
  selectionSet: SelectionSetNode,
  fragments: Record<string, FragmentDefinitionNode>,
  seen = new Set<string>(),
): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === 'Field') count++;
    else if (selection.kind === 'InlineFragment')
      count += rootFieldCount(selection.selectionSet, fragments, seen);
    else if (!seen.has(selection.name.value) && fragments[selection.name.value]) {
      seen.add(selection.name.value);
      count += rootFieldCount(fragments[selection.name.value].selectionSet, fragments, seen);
    }
  }
  return count;
}

/**
 * A validation rule: an operation with more root fields than allowed is refused before anything runs,
 * with a code and a sentence (TOO_MANY_MUTATIONS, TOO_MANY_ROOT_FIELDS).
 */
export function requestLimitsRule(limits: RequestLimits = DEFAULT_REQUEST_LIMITS) {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(node: OperationDefinitionNode) {
      const fragments = Object.fromEntries(
        context
          .getDocument()
          .definitions.filter((d): d is FragmentDefinitionNode => d.kind === 'FragmentDefinition')
          .map((d) => [d.name.value, d]),
      );
      const count = rootFieldCount(node.selectionSet, fragments);
      const mutation = node.operation === 'mutation';
      const max = mutation ? limits.maxMutations : limits.maxRootFields;
      if (count <= max) return;
      context.reportError(
        new GraphQLError(
          mutation
            ? `One request may carry at most ${max} mutations (aliases count); this one has ${count}.`
            : `One request may ask for at most ${max} root fields (aliases count); this one has ${count}.`,
          { nodes: [node], extensions: { code: mutation ? 'TOO_MANY_MUTATIONS' : 'TOO_MANY_ROOT_FIELDS' } },
        ),
      );
    },
  });
}

/**
 * Characters no input may hold: C0 controls other than tab, line feed and carriage return, DEL, C1
 * controls, the line and paragraph separators, the bidirectional overrides, isolates and marks, and
 * zero-width characters (text that reads differently from what it holds).
 */
/* eslint-disable no-control-regex -- matching control characters is the point */
const FORBIDDEN_CHARACTERS =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/;
/* eslint-enable no-control-regex */
/** Half of a surrogate pair standing alone: not text PostgreSQL (or anyone) can store. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const hasControl = (text: string) => FORBIDDEN_CHARACTERS.test(text) || LONE_SURROGATE.test(text);

/** The longest string any input may be (reasons are held to less where they are taken). */
export const MAX_INPUT_TEXT = 1_000;

/** Why a string a client sent may not be taken anywhere, or null. */
export function textProblem(text: string): Refusal | null {
  if (text.length > MAX_INPUT_TEXT) {
    return new Refusal(
      'TEXT_TOO_LONG',
      `No text in a request may be longer than ${MAX_INPUT_TEXT} characters (got ${text.length}).`,
    );
  }
  if (hasControl(text)) {
    return new Refusal(
      'INVALID_TEXT',
      'Text in a request may not hold control, zero-width or bidirectional characters, line or paragraph separators, or broken Unicode.',
    );
  }
  return null;
}

/** The first problem of any string in a value (variables: objects, lists, strings, keys too), or null. */
export function firstTextProblem(value: unknown, depth = 0): Refusal | null {
  if (typeof value === 'string') return textProblem(value);
  if (depth > 20 || value === null || typeof value !== 'object') return null;
  const entries = Array.isArray(value) ? value.map((item) => [null, item] as const) : Object.entries(value);
  for (const [key, item] of entries) {
    const problem = (key === null ? null : textProblem(key)) ?? firstTextProblem(item, depth + 1);
    if (problem) return problem;
  }
  return null;
}

/** A validation rule: a string literal in the document is held to the same (over HTTP and graphql-ws). */
export function textLiteralsRule() {
  return (context: ValidationContext): ASTVisitor => ({
    StringValue(node: StringValueNode) {
      const problem = textProblem(node.value);
      if (problem) {
        context.reportError(
          new GraphQLError(problem.message, { nodes: [node], extensions: { code: problem.code } }),
        );
      }
    },
  });
}

/**
 * An Apollo plugin: variables are held to the same before anything resolves (HTTP). A refusal is one
 * coded error with status 400; nothing runs.
 */
export function textVariablesPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request }) {
          const problem = firstTextProblem(request.variables ?? {});
          if (problem) {
            throw new GraphQLError(problem.message, {
              extensions: { code: problem.code, http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}

/**
 * Free text a client writes into the permanent log (reasons): bounded and clean, or a coded refusal.
 * Returns the text trimmed.
 */
export function boundedText(name: string, value: string, max: number, min = 0): string {
  if (value.length > max) {
    throw new Refusal('TEXT_TOO_LONG', `${name} may be at most ${max} characters (got ${value.length}).`);
  }
  if (hasControl(value)) {
    throw new Refusal('INVALID_TEXT', `${name} may not contain control characters.`);
  }
  const text = value.trim();
  if (text.length < min) {
    throw new Refusal('TEXT_TOO_SHORT', `${name} needs at least ${min} characters.`);
  }
  return text;
}
