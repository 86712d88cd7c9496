/** libqp (mailparser's quoted-printable codec) ships no types; the tests use only decode. */
declare module 'libqp' {
  export function decode(input: string): Buffer;
  const libqp: { decode(input: string): Buffer };
  export default libqp;
}
