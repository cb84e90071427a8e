//! The operator's decrypted keys in memory: the account key that signs transactions and the
//! attestation key that signs results.

use k256::ecdsa::SigningKey;
use zeroize::Zeroizing;

use super::hd::{
    account_path, attestation_path, check_attestation_index, derive_signing_key, Mnemonic,
    FIRST_ATTESTATION_INDEX,
};
use super::public::PublicKeyInfo;
use super::signing::{AccountKey, AttestationKey};
use super::KeyError;

/// Both operator keys, derived from one mnemonic (see [`super::hd`] for the paths).
///
/// Secret material is wiped on drop (`k256` zeroizes its scalars, [`Mnemonic`] its words) and
/// `Debug` shows public data only.
pub struct OperatorKeys {
    mnemonic: Mnemonic,
    account: AccountKey,
    attestation: AttestationKey,
    attestation_path: String,
}

impl OperatorKeys {
    /// Fresh keys from a new 24-word mnemonic, attestation key at index 1.
    pub fn generate(bech32_prefix: &str) -> Result<Self, KeyError> {
        Self::from_mnemonic(
            Mnemonic::generate()?,
            bech32_prefix,
            FIRST_ATTESTATION_INDEX,
        )
    }

    /// Keys from an existing mnemonic phrase (12 to 24 words).
    pub fn from_phrase(
        phrase: &str,
        bech32_prefix: &str,
        attestation_index: u32,
    ) -> Result<Self, KeyError> {
        Self::from_mnemonic(Mnemonic::parse(phrase)?, bech32_prefix, attestation_index)
    }

    pub fn from_mnemonic(
        mnemonic: Mnemonic,
        bech32_prefix: &str,
        attestation_index: u32,
    ) -> Result<Self, KeyError> {
        check_attestation_index(attestation_index)?;
        let seed = mnemonic.to_seed("");
        let account = AccountKey::new(
            derive_signing_key(seed.as_slice(), &account_path())?,
            bech32_prefix,
        )?;
        let attestation_path = attestation_path(attestation_index)?;
        let attestation = AttestationKey::new(
            derive_signing_key(seed.as_slice(), &attestation_path)?,
            attestation_index,
        );
        Ok(Self {
            mnemonic,
            account,
            attestation,
            attestation_path,
        })
    }

    pub fn bech32_prefix(&self) -> &str {
        self.account.bech32_prefix()
    }

    /// The account key on its own (what a node host needs when a remote signer attests).
    pub fn account(&self) -> &AccountKey {
        &self.account
    }

    /// The attestation key on its own (what `sibyl-oracle signer` needs).
    pub fn attestation(&self) -> &AttestationKey {
        &self.attestation
    }

    /// Gives up the mnemonic and the account key, keeping only the attestation key.
    pub fn into_attestation(self) -> AttestationKey {
        self.attestation
    }

    /// The account address under this key set's bech32 prefix.
    pub fn account_address(&self) -> &str {
        self.account.address()
    }

    /// The account address under another chain's prefix (same key, different bech32 prefix).
    pub fn account_address_with_prefix(&self, prefix: &str) -> Result<String, KeyError> {
        self.account.address_with_prefix(prefix)
    }

    /// Compressed SEC1 public key of the account key.
    pub fn account_pubkey(&self) -> [u8; 33] {
        self.account.pubkey()
    }

    /// Compressed SEC1 public key of the attestation key, as registered in the staking contract.
    pub fn attestation_pubkey(&self) -> [u8; 33] {
        self.attestation.pubkey()
    }

    pub fn attestation_index(&self) -> u32 {
        self.attestation.index()
    }

    /// The attestation key's derivation path, `m/44'/118'/<index>'/0/0`.
    pub fn attestation_path(&self) -> &str {
        &self.attestation_path
    }

    /// The account signing key, for transaction builders that need the key itself.
    pub fn account_signing_key(&self) -> &SigningKey {
        self.account.signing_key()
    }

    /// Signs a 32-byte attestation digest with the attestation key ([`AttestationKey::sign`]).
    pub fn sign_attestation(&self, digest: &[u8; 32]) -> Result<[u8; 64], KeyError> {
        self.attestation.sign(digest)
    }

    /// Signs transaction sign-bytes with the account key ([`AccountKey::sign`]).
    pub fn sign_account(&self, sign_bytes: &[u8]) -> Result<[u8; 64], KeyError> {
        self.account.sign(sign_bytes)
    }

    /// The attestation key and its proof of possession for `RegisterOperator` or
    /// `RotateAttestationKey`: a signature over `sibyl_api::attestation::key_possession_digest`
    /// for `account` on `staking` on `chain_id`.
    pub fn attestation_key_proof(
        &self,
        chain_id: &str,
        staking: &str,
        account: &str,
    ) -> Result<AttestationKeyProof, KeyError> {
        let pubkey = self.attestation_pubkey();
        let digest =
            sibyl_api::attestation::key_possession_digest(chain_id, staking, account, &pubkey);
        let signature = self.sign_attestation(&digest)?;
        Ok(AttestationKeyProof {
            attestation_pubkey: cosmwasm_std::Binary::from(pubkey.to_vec()),
            key_signature: cosmwasm_std::Binary::from(signature.to_vec()),
        })
    }

    /// Moves the attestation key to the next account index and returns the new index. The caller
    /// saves the key file and then sends `RotateAttestationKey` with the new public key.
    pub fn rotate_attestation(&mut self) -> Result<u32, KeyError> {
        let next =
            self.attestation_index()
                .checked_add(1)
                .ok_or(KeyError::InvalidAttestationIndex {
                    index: u32::MAX,
                    max: super::hd::MAX_ATTESTATION_INDEX,
                })?;
        let path = attestation_path(next)?;
        let seed = self.mnemonic.to_seed("");
        self.attestation = AttestationKey::new(derive_signing_key(seed.as_slice(), &path)?, next);
        self.attestation_path = path;
        Ok(next)
    }

    /// The mnemonic phrase. Only for an explicit operator request (`keys show --mnemonic`).
    pub fn mnemonic_phrase(&self) -> Zeroizing<String> {
        self.mnemonic.phrase()
    }

    pub(crate) fn mnemonic(&self) -> &Mnemonic {
        &self.mnemonic
    }

    /// Everything public about these keys.
    pub fn public_info(&self) -> PublicKeyInfo {
        PublicKeyInfo {
            bech32_prefix: self.bech32_prefix().to_owned(),
            account_address: self.account_address().to_owned(),
            account_pubkey: self.account_pubkey(),
            account_path: account_path(),
            attestation_index: self.attestation_index(),
            attestation_pubkey: self.attestation_pubkey(),
            attestation_path: self.attestation_path.clone(),
        }
    }
}

impl AsRef<AccountKey> for OperatorKeys {
    fn as_ref(&self) -> &AccountKey {
        &self.account
    }
}

impl std::fmt::Debug for OperatorKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorKeys")
            .field("account_address", &self.account_address())
            .field("attestation_index", &self.attestation_index())
            .field("secrets", &"<redacted>")
            .finish()
    }
}

/// An attestation public key with its proof of possession, as the staking contract takes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttestationKeyProof {
    pub attestation_pubkey: cosmwasm_std::Binary,
    pub key_signature: cosmwasm_std::Binary,
}
