import { PasswordInput, type PasswordInputProps } from '@mantine/core';

/**
 * The signer's own password, re-entered for an electronic signature: required, and offered by the
 * password manager as the current password.
 */
export function SignaturePasswordInput({
  label = 'Your password',
  description = 'Re-enter your password to sign',
  ...props
}: PasswordInputProps) {
  return (
    <PasswordInput
      label={label}
      description={description}
      required
      autoComplete="current-password"
      {...props}
    />
  );
}
