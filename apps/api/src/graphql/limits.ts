import {
  ASTVisitor,
  FragmentDefinitionNode,
  GraphQLError,
  OperationDefinitionNode,
  SelectionSetNode,
  ValidationContext,
} from 'graphql';
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

/** Control characters other than tab, line feed and carriage return (C0 and DEL). */
const hasControl = (text: string) =>
  [...text].some((c) => {
    const code = c.charCodeAt(0);
    return (code < 0x20 && c !== '\t' && c !== '\n' && c !== '\r') || code === 0x7f;
  });

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
