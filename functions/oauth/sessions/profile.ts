/** Port: the claims the login app gave for a subject at its latest login (for userinfo). */
export interface ProfileStore {
  put(subject: string, claims: Readonly<Record<string, unknown>>, updatedAt: number): Promise<void>;
  get(subject: string): Promise<{ claims: Record<string, unknown>; updatedAt: number } | undefined>;
  /** Erases the subject's claims (erasing the user); nothing happens if there are none. */
  delete(subject: string): Promise<void>;
}
