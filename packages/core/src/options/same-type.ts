/**
 * Compile-time agreement between a hand-written option interface and the zod schema that
 * validates it: the same keys, each optional or required alike, and values assignable both
 * ways. `const _: SameType<A, B> = true` stops compiling when the two drift apart.
 */
export type SameType<A, B> = [keyof A] extends [keyof B]
  ? [keyof B] extends [keyof A]
    ? [A] extends [B]
      ? [B] extends [A]
        ? [RequiredKeys<A>] extends [RequiredKeys<B>]
          ? [RequiredKeys<B>] extends [RequiredKeys<A>]
            ? true
            : false
          : false
        : false
      : false
    : false
  : false;

type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
