// A single-page app as a team would write one with oidc-client-ts: code flow with PKCE
// (signinRedirect), refresh with the refresh token (signinSilent), RP-initiated logout.
const { UserManager, WebStorageStateStore } = window.oidc;
const { issuer, clientId } = window.APP_CONFIG;

const manager = new UserManager({
  authority: issuer,
  client_id: clientId,
  redirect_uri: `${location.origin}/callback`,
  post_logout_redirect_uri: `${location.origin}/signed-out`,
  response_type: 'code',
  scope: 'openid offline_access',
  loadUserInfo: true,
  automaticSilentRenew: false,
  userStore: new WebStorageStateStore({ store: window.localStorage }),
});

const field = (id) => document.getElementById(id);

function show(user) {
  field('subject').textContent = user ? user.profile.sub : '';
  field('access-token').textContent = user ? user.access_token : '';
  field('status').textContent = user ? 'signed in' : 'signed out';
}

async function act(step) {
  try {
    await step();
  } catch (error) {
    field('error').textContent = String(error);
    console.error(error);
  }
}

field('sign-in').addEventListener('click', () => act(() => manager.signinRedirect()));
field('refresh').addEventListener('click', () => act(async () => show(await manager.signinSilent())));
field('sign-out').addEventListener('click', () => act(() => manager.signoutRedirect({ state: 'bye' })));
field('sign-out-without-hint').addEventListener('click', () =>
  act(async () => {
    await manager.removeUser();
    await manager.signoutRedirect({ state: 'bye' });
  }),
);

act(async () => {
  if (location.pathname === '/callback') {
    const user = await manager.signinRedirectCallback();
    history.replaceState(null, '', '/');
    show(user);
  } else if (location.pathname === '/signed-out') {
    const response = await manager.signoutRedirectCallback();
    field('returned-state').textContent = response.userState ?? '';
    show(null);
  } else {
    show(await manager.getUser());
  }
});
