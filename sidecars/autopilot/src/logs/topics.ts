// Topics of a log event, as OpsMx log templates define them: substring rules map an event to CRITICAL,
// ERROR, WARN or (no rule) INFO; user tags label events by regular expression (RE2, see pattern.ts).
import { compileLinePattern } from './pattern';

export const TOPICS = ['INFO', 'WARN', 'ERROR', 'CRITICAL'] as const;
export type Topic = (typeof TOPICS)[number];

export interface TopicRule {
  /** Substring that puts an event in the topic (matched case-sensitively, as OpsMx does). */
  string: string;
  topic: Exclude<Topic, 'INFO'>;
}

export interface TagRule {
  /** Regular expression source; an event whose text matches gets the tag. */
  pattern: string;
  tag: string;
}

/** OpsMx's default error topics (log template `errorTopics` with `type: default`). */
export const DEFAULT_TOPIC_RULES: readonly TopicRule[] = [
  ...[
    'OnOutOfMemoryError',
    'OutOfMemoryError',
    'StackOverflowError',
    'ClassNotFoundException',
    'FileNotFoundException',
    'ArrayIndexOutOfBounds',
    'NullPointerException',
    'StringIndexOutOfBoundsException',
    'FATAL',
    'SEVERE',
  ].map((string) => ({ string, topic: 'CRITICAL' as const })),
  ...[
    'NoClassDefFoundError',
    'NoSuchMethodFoundError',
    'NumberFormatException',
    'IllegalArgumentException',
    'ParseException',
    'SQLException',
    'ArithmeticException',
    'status=404',
    'status=500',
    'EXCEPTION',
    'Exception',
    'ERROR',
  ].map((string) => ({ string, topic: 'ERROR' as const })),
  { string: 'WARN', topic: 'WARN' },
];

/**
 * Levels as most logs other than Java's write them (`error:`, `Warning:`, `[warn]`, `<Error>`): whole words in
 * any case. OpsMx's rules above are case-sensitive substrings (`ERROR`, `WARN`), so a syslog-style `error:`
 * or a Windows `Warning` was INFO and never scored. Part of the defaults (`disableDefaults` drops them).
 */
export const DEFAULT_LEVEL_WORDS: readonly { pattern: RegExp; topic: 'ERROR' | 'WARN' }[] = [
  { pattern: /\berror\b/i, topic: 'ERROR' },
  { pattern: /\bwarn(?:ing)?\b/i, topic: 'WARN' },
];

export interface TopicOptions {
  /** Extra rules, checked with the defaults; the most severe matching rule wins. */
  rules?: readonly TopicRule[];
  /** Leave out DEFAULT_TOPIC_RULES (OpsMx `disableDefaultErrorTopics`). */
  disableDefaults?: boolean;
  tags?: readonly TagRule[];
}

export const severity = (topic: Topic) => TOPICS.indexOf(topic);

export interface Classifier {
  classify(text: string): { topic: Topic; tags: string[] };
}

export function topicClassifier(options: TopicOptions = {}): Classifier {
  const rules = [...(options.disableDefaults ? [] : DEFAULT_TOPIC_RULES), ...(options.rules ?? [])];
  const levelWords = options.disableDefaults ? [] : DEFAULT_LEVEL_WORDS;
  const tags = (options.tags ?? []).map((t, index) => {
    try {
      return { tag: t.tag, regex: compileLinePattern(t.pattern) };
    } catch (error) {
      throw new Error(`tags[${index}].pattern is not a valid regular expression: ${(error as Error).message}`);
    }
  });
  return {
    classify(text) {
      let topic: Topic = 'INFO';
      for (const rule of rules)
        if (severity(rule.topic) > severity(topic) && text.includes(rule.string)) topic = rule.topic;
      for (const word of levelWords)
        if (severity(word.topic) > severity(topic) && word.pattern.test(text)) topic = word.topic;
      return { topic, tags: tags.filter((t) => t.regex.test(text)).map((t) => t.tag) };
    },
  };
}
